/*
 * bench/kernel_internal.h - the helpers bench/kernel.c (the anonymous
 * memory workloads) and bench/kernel_file.c (the file workloads: truncate,
 * the rmap walk through memcg reclaim) share
 */
#ifndef RMAPLAB_BENCH_KERNEL_INTERNAL_H
#define RMAPLAB_BENCH_KERNEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif

#define KB_PAGE		4096UL			/* the bench's page: 4 KiB */
#define KB_PMD		(2UL << 20)		/* one page table's reach on x86-64 */
#define KB_FILL		(1UL << 20)		/* write(2) chunk when filling files */

#define TMPFS_MAGIC_	0x01021994L
#define RAMFS_MAGIC_	0x858458f6L
#define CGROUP_MAGIC_	0x27e0ebL

#define MEMCG_V1	"/sys/fs/cgroup/memory"
#define RMAP_PAGES	1024UL	/* test pages of the rmap row when a->pages is 0 */

/* First failure of one repetition; later failures (in teardown) are dropped. */
struct kb_run {
	const char *why;
};

void kb_run_fail(struct kb_run *r, const char *what, int err);
int kb_run_end(struct kb_run *r, uint64_t t, uint64_t *ns, const char **why);
size_t kb_len(unsigned long pages, struct kb_run *r);
void kb_unmap(void *p, size_t len, struct kb_run *r);
void kb_close_fd(int *fd, struct kb_run *r);
int kb_no_thp(void *p, size_t len, struct kb_run *r);
int kb_populate(void *p, size_t len, int advice, struct kb_run *r);
void *kb_map_anon(size_t len, struct kb_run *r);
void *kb_map_anon_populated(size_t len, struct kb_run *r);
ssize_t kb_read_full(int fd, void *buf, size_t len);
ssize_t kb_write_full(int fd, const void *buf, size_t len);
void kb_wait_eof(int fd);
void kb_reap(pid_t pid, const char *what, struct kb_run *r);

#endif
