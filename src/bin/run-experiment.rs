fn main() {
    geotraj_workbench::signals::exit(geotraj_workbench::cli::main())
}
