/// mimalloc instead of glibc's allocator: the server allocates and frees many small,
/// short-lived values on several threads (measured in docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    weft::run()
}
