fn main() -> std::process::ExitCode {
    epstore_cli::main()
}
