fn main() -> std::process::ExitCode {
    weft::run()
}
