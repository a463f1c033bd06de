//! `kepu`: see `kepu --help`.

fn main() -> anyhow::Result<()> {
    return_big_blocks_to_the_system();
    actix_web::rt::System::new().block_on(kepu_api::cli::run())
}

/// How glibc's allocator is held to what the server uses (measured in `docs/performance.md`).
///
/// - Every password check takes a 19 MiB block (Argon2id's memory cost). glibc serves blocks
///   that big with `mmap` and returns them on free, but after the first such free it raises its
///   threshold to that size, so later blocks come from the arenas and stay there: a burst of
///   sign-ins left the server at 360 MB. A fixed threshold keeps every block of 1 MiB or more
///   mapped on demand and returned at once.
/// - Freed memory stays in glibc's arenas until it is trimmed: what the start-up and a burst of
///   load used and freed (13–15 MB after start-up alone). A thread gives it back every few
///   seconds, so a server at rest holds only what it still uses.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn return_big_blocks_to_the_system() {
    const ONE_MIB: libc::c_int = 1 << 20;
    const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(3);
    // (Fewer arenas than glibc's default saved 4 MB more but cost a third of the throughput:
    // the threads then wait for each other's allocations.)
    // SAFETY: `mallopt` only changes a tuning parameter of glibc's allocator; it takes no
    // pointers and is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, ONE_MIB);
    }
    let trimmer = std::thread::Builder::new().name("kepu-malloc-trim".into());
    let spawned = trimmer.spawn(|| {
        loop {
            std::thread::sleep(TRIM_EVERY);
            // SAFETY: `malloc_trim` takes the allocator's own locks and only returns free
            // pages to the system; it touches no memory in use.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    });
    if let Err(err) = spawned {
        eprintln!("kepu: could not start the allocator's trim thread: {err}");
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_big_blocks_to_the_system() {}
