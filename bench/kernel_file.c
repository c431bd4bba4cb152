/*
 * bench/kernel_file.c - `rmaplab bench`, the kernel side's file workloads:
 * truncate of a shared file mapping, and the rmap walk of a page mapped by
 * K processes through memcg v1 reclaim (docs/performance.md).  The rules
 * of bench/kernel.c hold here too.
 */
#include "bench/bench.h"
#include "lib/mman.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/kernel_internal.h"

/*
 * Write @len bytes of non-zero data to @fd from offset 0, @chunk bytes a
 * call (a filesystem with large folios sizes new folios by the write).
 */
static int fill_file(int fd, size_t len, size_t chunk, struct kb_run *r)
{
	char *buf = malloc(chunk);
	size_t off = 0;

	if (!buf) {
		kb_run_fail(r, "out of memory", 0);
		return -1;
	}
	memset(buf, 0x5a, chunk);
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		ssize_t w = pwrite(fd, buf, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			kb_run_fail(r, "write (filling the file)", w < 0 ? errno : EIO);
			free(buf);
			return -1;
		}
		off += (size_t)w;
	}
	free(buf);
	return 0;
}

/*
 * Child processes that each map a file MAP_SHARED read-only and populate
 * it, then wait to be released.  The parent never maps the file itself.
 */
struct mappers {
	pid_t *pids;
	int n;			/* forked so far */
	int ready[2];		/* children -> parent: one byte each, 'y' mapped */
	int release[2];		/* parent closes [1]: children see EOF and leave */
};

static void mapper_child(const struct mappers *m, int fd, size_t len)
{
	char c = 'n';
	void *p;

	if (close(m->ready[0]) || close(m->release[1]))
		_exit(1);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED && !madvise(p, len, MADV_NOHUGEPAGE) &&
	    !madvise(p, len, MADV_POPULATE_READ))
		c = 'y';
	if (kb_write_full(m->ready[1], &c, 1) != 1)
		_exit(1);
	kb_wait_eof(m->release[0]);
	_exit(c == 'y' ? 0 : 1);	/* exit_mmap unmaps the file */
}

static void mappers_stop(struct mappers *m, struct kb_run *r);

/*
 * Fork @k mapping children of @len bytes of @fd and wait until every one
 * has its mapping populated.  On failure everything is torn down.
 */
static int mappers_start(struct mappers *m, int k, int fd, size_t len, struct kb_run *r)
{
	char *ok;
	int i, good = 0;

	m->n = 0;
	m->ready[0] = m->ready[1] = m->release[0] = m->release[1] = -1;
	m->pids = calloc(k > 0 ? (size_t)k : 1, sizeof(*m->pids));
	ok = malloc(k > 0 ? (size_t)k : 1);
	if (!m->pids || !ok) {
		free(ok);
		kb_run_fail(r, "out of memory", 0);
		mappers_stop(m, r);
		return -1;
	}
	if (pipe2(m->ready, O_CLOEXEC) || pipe2(m->release, O_CLOEXEC)) {
		kb_run_fail(r, "pipe", errno);
		goto fail;
	}
	for (i = 0; i < k; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			kb_run_fail(r, "fork (mapping children)", errno);
			goto fail;
		}
		if (pid == 0)
			mapper_child(m, fd, len);
		m->pids[m->n++] = pid;
	}
	kb_close_fd(&m->ready[1], r);
	kb_close_fd(&m->release[0], r);
	if (r->why)
		goto fail;
	if (k > 0 && kb_read_full(m->ready[0], ok, (size_t)k) != k) {
		kb_run_fail(r, "a mapping child died before it was ready", 0);
		goto fail;
	}
	for (i = 0; i < k; i++)
		good += ok[i] == 'y';
	if (good != k) {
		kb_run_fail(r, "a child could not mmap and MADV_POPULATE_READ the file", 0);
		goto fail;
	}
	free(ok);
	return 0;
fail:
	free(ok);
	mappers_stop(m, r);
	return -1;
}

/* Release the mapping children, reap them all, close the pipes. */
static void mappers_stop(struct mappers *m, struct kb_run *r)
{
	int i;

	kb_close_fd(&m->release[1], r);
	kb_close_fd(&m->release[0], r);
	kb_close_fd(&m->ready[1], r);
	for (i = 0; i < m->n; i++)
		kb_reap(m->pids[i], "a mapping child failed", r);
	kb_close_fd(&m->ready[0], r);
	free(m->pids);
	m->pids = NULL;
	m->n = 0;
}

/*
 * kbench_truncate - truncating a shared file mapped by many processes.
 * A memfd (shmem) of a->pages pages filled with write(2), so every page is
 * in the page cache; a->procs child processes each mmap the whole file
 * MAP_SHARED read-only and MADV_POPULATE_READ it (the parent does not map
 * it).  Timed: ftruncate(fd, 0) in the parent, that is shmem_setattr:
 * unmap_mapping_range zaps the ptes of all a->procs mappings,
 * shmem_truncate_range frees the pages, a second unmap_mapping_range finds
 * nothing left.  Not timed: creating and filling the memfd, forking and
 * populating the children, releasing and reaping them, closing the memfd.
 */
int kbench_truncate(const struct bench_args *a, uint64_t *ns, const char **why)
{
	struct kb_run r = { 0 };
	size_t len = kb_len(a->pages, &r);
	struct mappers m = { .n = 0 };
	uint64_t t0, t = 0;
	int fd = -1;

	if (!len)
		goto out;
	if (a->procs < 0) {
		kb_run_fail(&r, "negative process count", 0);
		goto out;
	}
	fd = memfd_create("rmaplab-bench", MFD_CLOEXEC);
	if (fd < 0) {
		kb_run_fail(&r, errno == ENOSYS ? "memfd_create unsupported" : "memfd_create", errno);
		goto out;
	}
	if (fill_file(fd, len, len < KB_FILL ? len : KB_FILL, &r) ||
	    mappers_start(&m, a->procs, fd, len, &r))
		goto out;
	t0 = bench_now_ns();
	if (ftruncate(fd, 0))
		kb_run_fail(&r, "ftruncate", errno);
	else
		t = bench_now_ns() - t0;
	mappers_stop(&m, &r);
out:
	kb_close_fd(&fd, &r);
	return kb_run_end(&r, t, ns, why);
}

/*
 * rmdir the bench memcgs a killed caller left behind: rmaplab-bench-<pid>
 * whose pid is gone.  rmdir fails harmlessly (EBUSY) on one with tasks.
 */
static void rmap_sweep_stale(void)
{
	struct dirent *de;
	char *end;
	long pid;
	DIR *d;

	d = opendir(MEMCG_V1);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "rmaplab-bench-", 14))
			continue;
		errno = 0;
		pid = strtol(de->d_name + 14, &end, 10);
		if (errno || *end || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		/* Best effort: a memcg that cannot go is left as it was. */
		(void)unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	(void)closedir(d);
}

/* The rmap row's prerequisites, checked once. */
static bool rmap_probed;
static const char *rmap_dir;		/* where its file goes, or NULL */
static const char *rmap_cannot;		/* why it cannot run here, or NULL */
static char rmap_method[400];		/* what it measures, once it can */

static void rmap_probe(void)
{
	static const char *const dirs[] = { "/var/tmp", "/tmp" };
	struct statfs sfs;
	size_t i;

	if (rmap_probed)
		return;
	rmap_probed = true;
	if (geteuid() != 0) {
		rmap_cannot = "needs root (memory cgroup v1 control files)";
		return;
	}
	if (statfs(MEMCG_V1, &sfs) || sfs.f_type != CGROUP_MAGIC_ ||
	    access(MEMCG_V1 "/memory.force_empty", F_OK)) {
		rmap_cannot = "memory cgroup v1 not mounted at " MEMCG_V1;
		return;
	}
	rmap_sweep_stale();
	/* No swap is needed: clean file pages are dropped, but not shmem/tmpfs ones. */
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (statfs(dirs[i], &sfs) || access(dirs[i], W_OK))
			continue;
		if (sfs.f_type == TMPFS_MAGIC_ || sfs.f_type == RAMFS_MAGIC_)
			continue;
		rmap_dir = dirs[i];
		snprintf(rmap_method, sizeof(rmap_method),
			 "memcg v1 memory.force_empty reclaiming N clean order-0 page-cache pages "
			 "of a file in %s, each mapped by K processes outside the memcg; per page: "
			 "2 x folio_referenced (K VMAs visited, each skipped: other memcg) + "
			 "try_to_unmap of K ptes + __remove_mapping, plus lru_add_drain_all / N",
			 rmap_dir);
		return;
	}
	rmap_cannot = "no disk filesystem at /var/tmp or /tmp (tmpfs pages need swap to reclaim)";
}

/*
 * kbench_rmap_method - what the kernel side of the rmap row measures here
 * (one line), or why it cannot run.  Computed once.
 */
const char *kbench_rmap_method(void)
{
	rmap_probe();
	if (rmap_cannot)
		return rmap_cannot;
	return rmap_method;
}

/*
 * The rmap file: N test pages, plus a sentinel page at every index that is
 * a multiple of 64 (the pages under one xarray leaf node).  The sentinels
 * stay in the page cache, charged to the caller's memcg, so the file's
 * xarray nodes - charged as kmem to whoever allocates them - are the
 * caller's too: the bench memcg ends up holding nothing but the N test
 * pages, its usage can reach 0, and memory.force_empty stops as soon as
 * they are reclaimed instead of retrying against unreclaimable kmem.
 */
#define XA_CHUNK	64UL

static bool rmap_sentinel(size_t index)
{
	return index % XA_CHUNK == 0;
}

/* File pages holding @n test pages: one sentinel per 63 of them. */
static size_t rmap_file_pages(size_t n)
{
	return n + (n + XA_CHUNK - 2) / (XA_CHUNK - 1);
}

/*
 * Count the test pages and the sentinels of the rmap file (@len bytes) that
 * are in the page cache (mincore through an unpopulated mapping).
 */
static int cached_pages(int fd, size_t len, size_t *test, size_t *sentinels, struct kb_run *r)
{
	size_t n = len / KB_PAGE, i;
	unsigned char *vec = malloc(n);
	int ret = 0;
	void *p;

	*test = *sentinels = 0;
	if (!vec) {
		kb_run_fail(r, "out of memory", 0);
		return -1;
	}
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		kb_run_fail(r, "mmap (mincore of the file)", errno);
		free(vec);
		return -1;
	}
	if (mincore(p, len, vec)) {
		kb_run_fail(r, "mincore", errno);
		ret = -1;
	} else {
		for (i = 0; i < n; i++) {
			if (!(vec[i] & 1))
				continue;
			if (rmap_sentinel(i))
				(*sentinels)++;
			else
				(*test)++;
		}
	}
	kb_unmap(p, len, r);
	free(vec);
	return ret;
}

/* Decimal digits of @v into @buf (no terminator); returns the length. */
static size_t utoa(unsigned long v, char *buf)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

/*
 * The reader child: join the memcg at @cg (cgroup.procs), then pread()
 * every test page of the @len-byte file @fd, so those pages are allocated
 * in the page cache (order 0: POSIX_FADV_RANDOM is set) and charged there.
 */
static void reader_child(const char *cg, int fd, size_t len)
{
	char path[128], pid[24], page[KB_PAGE];
	size_t off, n;
	int pfd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	pfd = open(path, O_WRONLY | O_CLOEXEC);
	if (pfd < 0)
		_exit(1);
	n = utoa((unsigned long)getpid(), pid);
	if (kb_write_full(pfd, pid, n) != (ssize_t)n || close(pfd))
		_exit(1);
	for (off = 0; off < len; off += KB_PAGE) {
		ssize_t got;

		if (rmap_sentinel(off / KB_PAGE))
			continue;
		do
			got = pread(fd, page, KB_PAGE, (off_t)off);
		while (got < 0 && errno == EINTR);
		if (got != (ssize_t)KB_PAGE)
			_exit(1);
	}
	_exit(0);
}

/* rmdir the memcg: its last task may take a moment to leave after being reaped. */
static void remove_cgroup(const char *cg, struct kb_run *r)
{
	struct timespec ms = { 0, 1000000 };
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		if (!rmdir(cg))
			return;
		if (errno != EBUSY) {
			kb_run_fail(r, "rmdir (the bench memcg)", errno);
			return;
		}
		nanosleep(&ms, NULL);
	}
	kb_run_fail(r, "rmdir (the bench memcg)", EBUSY);
}

/*
 * Write the file (@len bytes), make it clean, and drop the test pages from
 * the page cache, keeping the sentinels.  POSIX_FADV_RANDOM is left set
 * (on the open file, which the reader shares) so reads do no readahead
 * and allocate order-0 folios.
 */
static int rmap_file_prepare(int fd, size_t len, struct kb_run *r)
{
	size_t pages = len / KB_PAGE, start, cnt, test, sentinels;
	int err = 0;

	if (fill_file(fd, len, KB_PAGE, r))	/* order-0 folios only */
		return -1;
	if (fsync(fd)) {
		kb_run_fail(r, "fsync", errno);
		return -1;
	}
	for (start = 1; start < pages && !err; start += XA_CHUNK) {
		cnt = pages - start < XA_CHUNK - 1 ? pages - start : XA_CHUNK - 1;
		err = posix_fadvise(fd, (off_t)(start * KB_PAGE), (off_t)(cnt * KB_PAGE),
				    POSIX_FADV_DONTNEED);
	}
	if (!err)
		err = posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	if (err) {
		kb_run_fail(r, "posix_fadvise", err);
		return -1;
	}
	if (cached_pages(fd, len, &test, &sentinels, r))
		return -1;
	if (test || sentinels != (pages + XA_CHUNK - 1) / XA_CHUNK) {
		kb_run_fail(r, "POSIX_FADV_DONTNEED did not drop exactly the test pages of the file", 0);
		return -1;
	}
	return 0;
}

/*
 * kbench_rmap - reclaiming file pages mapped by K processes: the kernel's
 * rmap walks, per page.
 *
 * Setup: an unlinked regular file in /var/tmp or /tmp (a disk filesystem:
 * there is no swap, so only clean file page cache can be reclaimed) of
 * N = a->pages (RMAP_PAGES if 0) test pages and the sentinels above,
 * written, fsync'ed (clean) and its test pages dropped with
 * POSIX_FADV_DONTNEED.  A fresh memcg v1 cgroup MEMCG_V1/rmaplab-bench-<pid>
 * is made; a reader child joins it and pread()s the test pages, so they
 * are charged there (nothing else is, once the reader is reaped).  Then
 * K = a->procs children, in the caller's memcg, mmap the whole file
 * MAP_SHARED read-only and MADV_POPULATE_READ it (its second touch of each
 * page activates it).  Last, an mlock(2) of one anonymous page, whose
 * lru_add_drain_all moves the file's folios from per-CPU batches onto the
 * LRU lists.
 *
 * Timed: write(2) of "0" to the memcg's memory.force_empty, that is
 * mem_cgroup_force_empty: lru_add_drain_all (it waits for work queued on
 * every CPU with anything batched, anyone's: a noisy 10-400 us measured
 * on a busy 2-CPU machine, hence the default N of 1024), drain_all_stock,
 * then try_to_free_mem_cgroup_pages (32 pages a call) until the usage is 0.
 * shrink_active_list deactivates each page (folio_referenced walks the K
 * VMAs of the i_mmap tree and skips each: its mm is not in the target
 * memcg, so no pte is read), then shrink_folio_list reclaims it
 * (folio_referenced again, the same K skips; try_to_unmap clears the pte
 * in each of the K VMAs, one batched TLB flush per batch; __remove_mapping
 * leaves a shadow entry).  *ns is that total divided by N.
 * Checked after: no test page is left in the page cache (mincore), else -1.
 *
 * Not timed: everything else - the file, the memcg, the reader, forking
 * and populating the mappers, the mlock, the mincore checks, releasing and
 * reaping the mappers, rmdir of the memcg, closing the file.
 */
int kbench_rmap(const struct bench_args *a, uint64_t *ns, const char **why)
{
	struct kb_run r = { 0 };
	unsigned long pages = a->pages ? a->pages : RMAP_PAGES;
	size_t len = 0, test, sentinels;
	struct mappers m = { .n = 0 };
	bool have_cg = false, have_m = false;
	char path[128], cg[96];
	int fd = -1, efd = -1;
	uint64_t t0, t = 0;
	void *one;
	pid_t pid;

	rmap_probe();
	if (rmap_cannot) {
		kb_run_fail(&r, rmap_cannot, 0);
		goto out;
	}
	if (pages > SIZE_MAX / KB_PAGE / 2) {
		kb_run_fail(&r, "too many pages for this address space", 0);
		goto out;
	}
	len = rmap_file_pages(pages) * KB_PAGE;
	if (a->procs < 0) {
		kb_run_fail(&r, "negative process count", 0);
		goto out;
	}

	/* The file: clean, only its sentinels in the page cache. */
	snprintf(path, sizeof(path), "%s/rmaplab-bench-XXXXXX", rmap_dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		kb_run_fail(&r, "mkstemp", errno);
		goto out;
	}
	if (unlink(path)) {
		kb_run_fail(&r, "unlink (the bench file)", errno);
		goto out;
	}
	if (rmap_file_prepare(fd, len, &r))
		goto out;

	/* The memcg, and the test pages read (and charged) inside it. */
	snprintf(cg, sizeof(cg), MEMCG_V1 "/rmaplab-bench-%ld", (long)getpid());
	if (mkdir(cg, 0755) && (errno != EEXIST || rmdir(cg) || mkdir(cg, 0755))) {
		kb_run_fail(&r, "mkdir (the bench memcg)", errno);
		goto out;
	}
	have_cg = true;
	pid = fork();
	if (pid < 0) {
		kb_run_fail(&r, "fork (the reader)", errno);
		goto out;
	}
	if (pid == 0)
		reader_child(cg, fd, len);
	kb_reap(pid, "the reader child could not join the memcg or read the file", &r);
	if (r.why || cached_pages(fd, len, &test, &sentinels, &r))
		goto out;
	if (test != pages) {
		kb_run_fail(&r, "the reader did not bring every test page into the page cache", 0);
		goto out;
	}

	if (mappers_start(&m, a->procs, fd, len, &r))
		goto out;
	have_m = true;
	snprintf(path, sizeof(path), "%s/memory.force_empty", cg);
	efd = open(path, O_WRONLY | O_CLOEXEC);
	if (efd < 0) {
		kb_run_fail(&r, "open memory.force_empty", errno);
		goto out;
	}
	one = kb_map_anon(KB_PAGE, &r);
	if (!one)
		goto out;
	if (mlock(one, KB_PAGE))
		kb_run_fail(&r, "mlock (draining the per-CPU LRU batches)", errno);
	kb_unmap(one, KB_PAGE, &r);
	if (r.why)
		goto out;

	t0 = bench_now_ns();
	if (write(efd, "0", 1) != 1) {
		kb_run_fail(&r, "write memory.force_empty", errno);
		goto out;
	}
	t = bench_now_ns() - t0;
	t /= pages;
	if (!cached_pages(fd, len, &test, &sentinels, &r) && test)
		kb_run_fail(&r, "memory.force_empty left test pages of the file in the page cache", 0);
out:
	kb_close_fd(&efd, &r);
	if (have_m)
		mappers_stop(&m, &r);
	if (have_cg)
		remove_cgroup(cg, &r);
	kb_close_fd(&fd, &r);
	return kb_run_end(&r, t, ns, why);
}
