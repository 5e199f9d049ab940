// The system Intel ISA-L (libisal-dev), for the block store's checksums: its CRC-32 is zlib's (same polynomial,
// same values, chained the same way), computed with carry-less multiplication, several times faster.
#include <isa-l/crc.h>
