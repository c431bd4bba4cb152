/*
 * lib/mman.h - <sys/mman.h> with the Linux uapi values that Debian 12's
 * glibc headers predate.  The model and the real-kernel runner use the
 * same numbers (PROT_*, MAP_*, MADV_*), so both include this.
 */
#ifndef RMAPLAB_LIB_MMAN_H
#define RMAPLAB_LIB_MMAN_H

#include <sys/mman.h>

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#endif /* RMAPLAB_LIB_MMAN_H */
