//! `kepu`: see `kepu --help`.

fn main() -> anyhow::Result<()> {
    return_big_blocks_to_the_system();
    actix_web::rt::System::new().block_on(kepu_api::cli::run())
}

/// Every password check takes a 19 MiB block (Argon2id's memory cost). glibc serves blocks that
/// big with `mmap` and returns them on free, but after the first such free it raises its
/// threshold to that size, so later blocks come from per-thread arenas and stay there: a burst
/// of sign-ins left the server at 360 MB. A fixed threshold keeps every block of 1 MiB or more
/// mapped on demand and returned at once (measured in `docs/performance.md`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn return_big_blocks_to_the_system() {
    const ONE_MIB: libc::c_int = 1 << 20;
    // SAFETY: `mallopt` only changes a tuning parameter of glibc's allocator; it takes no
    // pointers and is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, ONE_MIB);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_big_blocks_to_the_system() {}
