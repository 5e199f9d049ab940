# Sourced by the benchmark scripts: `need_tools TOOL…` stops with what to build when a release binary in $bin is
# missing (the build commands are at the top of each script).
need_tools() {
    for tool in "$@"; do
        [ -x "$bin/$tool" ] || { echo "build $bin/$tool first (see the top of $0)" >&2; exit 2; }
    done
}
