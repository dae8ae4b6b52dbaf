fn main() {
    std::process::exit(geotraj_workbench::cli::main());
}
