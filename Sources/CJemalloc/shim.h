// The system jemalloc (libjemalloc-dev), the `keel` command's allocator: linked into the executable, it replaces the
// C library's malloc for the whole process (Debian builds it without a prefix).
#include <jemalloc/jemalloc.h>
