//! The `firebell` binary: all behaviour lives in the library.

fn main() -> std::process::ExitCode {
    firebell::cli::main()
}
