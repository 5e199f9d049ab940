// The system zstd (libzstd-dev), for the block store's compressed columns. Keel does not carry its own compressor.
#include <zstd.h>
