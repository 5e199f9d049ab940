// The system zlib (zlib1g-dev), for compressing rotated log files. Keel does not carry its own deflate.
#include <zlib.h>
