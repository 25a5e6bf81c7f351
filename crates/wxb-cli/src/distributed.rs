//! The processes of a data-parallel run: with the `mpi` feature, those `mpirun` started (rsmpi
//! over the system's MPI); otherwise, or outside `mpirun`, this process alone.
//!
//! Only rank 0 prints, draws, checkpoints and saves; a failure on another rank is said by that
//! rank (after giving rank 0, which usually fails the same way, time to say it first) and ends the
//! whole job (`MPI_Abort`), so that no rank waits forever in a collective operation.

use wxb::train::{Collective, SingleProcess};

/// The job this process belongs to.
pub struct Job {
    #[cfg(feature = "mpi")]
    mpi: Option<mpi_job::MpiJob>,
}

impl Job {
    /// Joins the MPI job (with the `mpi` feature: `MPI_Init`, a job of one process outside
    /// `mpirun`); a plain build is always one process.
    pub fn start() -> Self {
        Self {
            #[cfg(feature = "mpi")]
            mpi: mpi_job::MpiJob::start(),
        }
    }

    /// The collective operations of this job.
    pub fn collective(&self) -> &dyn Collective {
        #[cfg(feature = "mpi")]
        if let Some(job) = &self.mpi {
            return job;
        }
        &SingleProcess
    }

    /// Whether this process is the one that prints and writes (rank 0).
    pub fn leads(&self) -> bool {
        self.collective().rank() == 0
    }

    /// In a job of several processes, on rank 0: when `mpirun` stops this process (`SIGTERM`:
    /// another process of the job ended, failed or was killed), says so in one line, naming the
    /// checkpoint that survives (checkpoints are written atomically, so the last complete one is
    /// intact), and exits with status 2.
    pub fn say_when_stopped(&self, out: &std::path::Path, checkpoint: bool) {
        let collective = self.collective();
        if collective.size() < 2 || !self.leads() {
            return;
        }
        let kept = if checkpoint {
            let last = out.join("checkpoints").join("last");
            format!(
                "{} holds the last completed epoch (if one completed): continue with --resume {} (any number of \
                 processes)",
                last.display(),
                last.display()
            )
        } else {
            "nothing was saved (--checkpoint saves every epoch)".to_string()
        };
        let text = format!(
            "error: rank 0 of {} was stopped by mpirun: another process of the job ended (mpirun names it); {kept}\n",
            collective.size()
        );
        #[cfg(all(feature = "mpi", unix))]
        stopped::say_on_sigterm(text);
        #[cfg(not(all(feature = "mpi", unix)))]
        let _ = text;
    }

    /// After a failure this process said (or, off rank 0, did not say): ends every process of a
    /// job of several with `code`; returns for a job of one.
    pub fn fail(&self, code: u8) {
        #[cfg(feature = "mpi")]
        if let Some(job) = &self.mpi {
            job.abort(code);
        }
        let _ = code;
    }
}

#[cfg(feature = "mpi")]
mod mpi_job {
    use std::cell::RefCell;

    use mpi::Count;
    use mpi::collective::SystemOperation;
    use mpi::datatype::PartitionMut;
    use mpi::environment::Universe;
    use mpi::topology::SimpleCommunicator;
    use mpi::traits::{Communicator, CommunicatorCollectives, Root};
    use wxb::train::Collective;

    /// `MPI_COMM_WORLD` and the buffers its allreduce sends from (MPI's sum is not in place here).
    pub struct MpiJob {
        world: SimpleCommunicator,
        send32: RefCell<Vec<f32>>,
        send64: RefCell<Vec<f64>>,
        /// Finalizes MPI when dropped (after `world`).
        _universe: Universe,
    }

    impl MpiJob {
        /// `MPI_Init`; `None` if MPI was initialized already (it is not: `main` calls this once).
        pub fn start() -> Option<Self> {
            let universe = mpi::initialize()?;
            let world = universe.world();
            Some(Self { world, send32: RefCell::default(), send64: RefCell::default(), _universe: universe })
        }

        /// Ends the whole job when it has several processes.
        pub fn abort(&self, code: u8) {
            if self.world.size() > 1 {
                self.world.abort(i32::from(code));
            }
        }
    }

    impl Collective for MpiJob {
        fn rank(&self) -> usize {
            usize::try_from(self.world.rank()).expect("MPI ranks are not negative")
        }
        fn size(&self) -> usize {
            usize::try_from(self.world.size()).expect("MPI sizes are positive")
        }
        fn allreduce_sum(&self, values: &mut [f32]) {
            let mut send = self.send32.borrow_mut();
            send.clear();
            send.extend_from_slice(values);
            self.world.all_reduce_into(&send[..], values, SystemOperation::sum());
        }
        fn allreduce_sum_f64(&self, values: &mut [f64]) {
            let mut send = self.send64.borrow_mut();
            send.clear();
            send.extend_from_slice(values);
            self.world.all_reduce_into(&send[..], values, SystemOperation::sum());
        }
        fn broadcast(&self, values: &mut [f32]) {
            self.world.process_at_rank(0).broadcast_into(values);
        }
        fn all_gather_bytes(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
            let size = self.size();
            let own = Count::try_from(bytes.len()).expect("a message under 2 GiB");
            let mut counts: Vec<Count> = vec![0; size];
            self.world.all_gather_into(&own, &mut counts[..]);
            let displs: Vec<Count> = counts
                .iter()
                .scan(0, |at, &c| {
                    let start = *at;
                    *at += c;
                    Some(start)
                })
                .collect();
            let total = counts.iter().map(|&c| usize::try_from(c).expect("counts are not negative")).sum();
            let mut all = vec![0u8; total];
            {
                let mut parts = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
                self.world.all_gather_varcount_into(bytes, &mut parts);
            }
            counts
                .iter()
                .zip(&displs)
                .map(|(&c, &d)| {
                    let (start, len) = (d as usize, c as usize);
                    all[start..start + len].to_vec()
                })
                .collect()
        }
    }
}

#[cfg(all(feature = "mpi", unix))]
mod stopped {
    use std::sync::OnceLock;

    /// The line said on `SIGTERM`, fixed before the handler is installed.
    static MESSAGE: OnceLock<Vec<u8>> = OnceLock::new();

    /// Installs the `SIGTERM` handler that writes `text` to standard error and exits with 2.
    pub fn say_on_sigterm(text: String) {
        if MESSAGE.set(text.into_bytes()).is_err() {
            return;
        }
        let handler: extern "C" fn(libc::c_int) = on_sigterm;
        // SAFETY: the handler only reads an initialized `OnceLock` (an atomic load) and calls the
        // async-signal-safe `write` and `_exit`.
        unsafe {
            libc::signal(libc::SIGTERM, handler as libc::sighandler_t);
        }
    }

    extern "C" fn on_sigterm(_signal: libc::c_int) {
        if let Some(text) = MESSAGE.get() {
            // SAFETY: `text` is a live buffer of `text.len()` bytes; `write` and `_exit` are
            // async-signal-safe.
            unsafe {
                libc::write(2, text.as_ptr().cast(), text.len());
            }
        }
        // SAFETY: ends the process at once, as the signal's default action would.
        unsafe { libc::_exit(2) }
    }
}
