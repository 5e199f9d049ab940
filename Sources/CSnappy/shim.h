// The system snappy (libsnappy-dev), for Loki's push bodies: protobuf in snappy's block format, read by `keel serve`
// and written by the Loki shipping sink. Its C interface only.
#include <snappy-c.h>
