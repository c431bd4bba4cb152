/*
 * bench/kernel.c - `rmaplab bench`, the kernel side: each workload run on
 * the real kernel of this machine (docs/performance.md).
 *
 * Each kbench_* function runs one repetition: it sets the workload up,
 * times only the system call being compared (CLOCK_MONOTONIC, in the
 * process that makes the call), tears everything down - mappings, fds,
 * child processes, the memory cgroup - on every path, and stores the
 * nanoseconds in *ns.  Every mapping gets MADV_NOHUGEPAGE before it is
 * populated, and mappings are populated with MADV_POPULATE_READ/WRITE,
 * so faults are taken inside the kernel (the GUP fault path), never as
 * user page-fault traps.
 *
 * Child processes are forked from the caller, which may have threads:
 * they only make system calls and leave with _exit().  On failure *why
 * is a string literal, or the static buffer why_buf ("what: strerror"),
 * valid until the next failure: not thread-safe, like the rest of bench.
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
struct run {
	const char *why;
};

static char why_buf[160];

/* Record @what (with strerror(@err) unless @err is 0) if nothing failed yet. */
static void run_fail(struct run *r, const char *what, int err)
{
	if (r->why)
		return;
	if (err) {
		snprintf(why_buf, sizeof(why_buf), "%s: %s", what, strerror(err));
		r->why = why_buf;
	} else {
		r->why = what;
	}
}

/* Hand the repetition's result to the caller: 0 and *ns, or -1 and *why. */
static int run_end(struct run *r, uint64_t t, uint64_t *ns, const char **why)
{
	if (r->why) {
		*why = r->why;
		return -1;
	}
	*ns = t;
	return 0;
}

/*
 * bench_now_ns - CLOCK_MONOTONIC in nanoseconds; 0 if clock_gettime fails
 * (it cannot for CLOCK_MONOTONIC on Linux).
 */
uint64_t bench_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* a->pages as a byte length, or 0 with *r failed. */
static size_t bench_len(unsigned long pages, struct run *r)
{
	if (!pages) {
		run_fail(r, "needs at least one page", 0);
		return 0;
	}
	if (pages > SIZE_MAX / KB_PAGE) {
		run_fail(r, "too many pages for this address space", 0);
		return 0;
	}
	return pages * KB_PAGE;
}

static void unmap(void *p, size_t len, struct run *r)
{
	if (p && munmap(p, len))
		run_fail(r, "munmap (teardown)", errno);
}

static void close_fd(int *fd, struct run *r)
{
	if (*fd >= 0 && close(*fd))
		run_fail(r, "close (teardown)", errno);
	*fd = -1;
}

/* MADV_NOHUGEPAGE on [p, p + len): every mapping gets it before it is populated. */
static int no_thp(void *p, size_t len, struct run *r)
{
	if (!madvise(p, len, MADV_NOHUGEPAGE))
		return 0;
	run_fail(r, "madvise(MADV_NOHUGEPAGE)", errno);
	return -1;
}

static int populate(void *p, size_t len, int advice, struct run *r)
{
	bool wr = advice == MADV_POPULATE_WRITE;

	if (!madvise(p, len, advice))
		return 0;
	if (errno == EINVAL)
		run_fail(r, wr ? "MADV_POPULATE_WRITE unsupported (needs Linux 5.14)" :
				 "MADV_POPULATE_READ unsupported (needs Linux 5.14)", 0);
	else
		run_fail(r, wr ? "madvise(MADV_POPULATE_WRITE)" : "madvise(MADV_POPULATE_READ)",
			 errno);
	return -1;
}

/* A fresh private anonymous read-write mapping, MADV_NOHUGEPAGE, not populated. */
static void *map_anon(size_t len, struct run *r)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		run_fail(r, "mmap (anonymous)", errno);
		return NULL;
	}
	if (no_thp(p, len, r)) {
		unmap(p, len, r);
		return NULL;
	}
	return p;
}

/* map_anon, then written (MADV_POPULATE_WRITE): every page present and private. */
static void *map_anon_populated(size_t len, struct run *r)
{
	void *p = map_anon(len, r);

	if (p && populate(p, len, MADV_POPULATE_WRITE, r)) {
		unmap(p, len, r);
		return NULL;
	}
	return p;
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static ssize_t write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Child side: block until EOF (or an error other than EINTR) on @fd. */
static void wait_eof(int fd)
{
	ssize_t n;
	char c;

	do
		n = read(fd, &c, 1);
	while (n > 0 || (n < 0 && errno == EINTR));
}

/*
 * Reap @pid.  A child that did not exit with status 0 fails the run with
 * @what (its own reason went to the parent some other way, or nowhere).
 */
static void reap(pid_t pid, const char *what, struct run *r)
{
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			run_fail(r, "waitpid", errno);
			return;
		}
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		run_fail(r, what, 0);
}

/*
 * kbench_fault_in - first-touch faults of a private anonymous mapping.
 * Timed: one MADV_POPULATE_WRITE over a fresh mapping of a->pages pages
 * (a zeroed page allocated and mapped for each).  Not timed: the mmap and
 * MADV_NOHUGEPAGE before it, the munmap after.
 */
int kbench_fault_in(const struct bench_args *a, uint64_t *ns, const char **why)
{
	struct run r = { 0 };
	size_t len = bench_len(a->pages, &r);
	uint64_t t0, t = 0;
	void *p = NULL;

	if (len)
		p = map_anon(len, &r);
	if (p) {
		t0 = bench_now_ns();
		if (!populate(p, len, MADV_POPULATE_WRITE, &r))
			t = bench_now_ns() - t0;
		unmap(p, len, &r);
	}
	return run_end(&r, t, ns, why);
}

struct child_result {
	uint64_t ns;
	int err;	/* errno of a failed madvise, else 0 */
};

/*
 * kbench_cow - copy-on-write breaking in a forked child.
 * The parent writes a private anonymous mapping of a->pages pages and
 * forks.  Timed (in the child): one MADV_POPULATE_WRITE over the whole
 * range, every page a COW copy (do_wp_page -> wp_page_copy: the parent
 * still maps each page).  The child sends the ns over a pipe and _exits.
 * Not timed: the parent's mmap and populate, the fork, the child's exit
 * (freeing its copies), the parent's read, waitpid and munmap.
 */
int kbench_cow(const struct bench_args *a, uint64_t *ns, const char **why)
{
	struct run r = { 0 };
	size_t len = bench_len(a->pages, &r);
	struct child_result res = { 0, 0 };
	int pfd[2] = { -1, -1 };
	void *p = NULL;
	pid_t pid;

	if (len)
		p = map_anon_populated(len, &r);
	if (!p)
		goto out;
	if (pipe2(pfd, O_CLOEXEC)) {
		run_fail(&r, "pipe", errno);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		run_fail(&r, "fork", errno);
		goto out;
	}
	if (pid == 0) {
		uint64_t t0 = bench_now_ns();

		if (madvise(p, len, MADV_POPULATE_WRITE))
			res.err = errno ? errno : EIO;
		else
			res.ns = bench_now_ns() - t0;
		_exit(write_full(pfd[1], &res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close_fd(&pfd[1], &r);
	if (read_full(pfd[0], &res, sizeof(res)) != sizeof(res))
		run_fail(&r, "the COW child sent no result", 0);
	else if (res.err)
		run_fail(&r, "madvise(MADV_POPULATE_WRITE) in the child", res.err);
	reap(pid, "the COW child failed", &r);
out:
	close_fd(&pfd[0], &r);
	close_fd(&pfd[1], &r);
	unmap(p, len, &r);
	return run_end(&r, res.ns, ns, why);
}

/*
 * kbench_reuse - write faults on pages the parent got back from a fork.
 * The parent writes a private anonymous mapping of a->pages pages, forks
 * a child that _exits at once, and reaps it: every pte is still write-
 * protected but each page is mapped only by the parent again.  Timed: one
 * MADV_POPULATE_WRITE over the range in the parent (do_wp_page reuses
 * each page, no copy).  Not timed: mmap, populate, fork, waitpid, munmap.
 */
int kbench_reuse(const struct bench_args *a, uint64_t *ns, const char **why)
{
	struct run r = { 0 };
	size_t len = bench_len(a->pages, &r);
	uint64_t t0, t = 0;
	void *p = NULL;
	pid_t pid;

	if (len)
		p = map_anon_populated(len, &r);
	if (!p)
		goto out;
	pid = fork();
	if (pid < 0) {
		run_fail(&r, "fork", errno);
		goto out;
	}
	if (pid == 0)
		_exit(0);
	reap(pid, "the forked child failed", &r);
	if (r.why)
		goto out;
	t0 = bench_now_ns();
	if (!populate(p, len, MADV_POPULATE_WRITE, &r))
		t = bench_now_ns() - t0;
out:
	unmap(p, len, &r);
	return run_end(&r, t, ns, why);
}

/*
 * kbench_fork - fork() of a process with a->pages written private
 * anonymous pages (copy_page_range copies every pte of the mapping and
 * write-protects it in both processes; the rest of the caller's address
 * space is copied too, so the caller's own size adds a constant).  Timed: fork()
 * as the parent sees it, from just before the call to its return in the
 * parent.  The child _exits at once.  Not timed: mmap and populate
 * before, waitpid and munmap after.
 */
int kbench_fork(const struct bench_args *a, uint64_t *ns, const char **why)
{
	struct run r = { 0 };
	size_t len = bench_len(a->pages, &r);
	uint64_t t0, t = 0;
	void *p = NULL;
	pid_t pid;
	int err;

	if (len)
		p = map_anon_populated(len, &r);
	if (!p)
		goto out;
	t0 = bench_now_ns();
	pid = fork();
	if (pid == 0)
		_exit(0);
	err = errno;
	t = bench_now_ns() - t0;
	if (pid < 0)
		run_fail(&r, "fork", err);
	else
		reap(pid, "the forked child failed", &r);
out:
	unmap(p, len, &r);
	return run_end(&r, t, ns, why);
}

/*
 * An inaccessible reservation of @len bytes at a 2 MiB-aligned address:
 * over-map PROT_NONE by 2 MiB and trim both ends.
 */
static void *reserve_pmd_aligned(size_t len, struct run *r)
{
	size_t span = len + KB_PMD, head, tail;
	uintptr_t start;
	char *p;

	if (len > SIZE_MAX - KB_PMD) {
		run_fail(r, "too many pages for this address space", 0);
		return NULL;
	}
	p = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		run_fail(r, "mmap (PROT_NONE reservation)", errno);
		return NULL;
	}
	start = ((uintptr_t)p + KB_PMD - 1) & ~(uintptr_t)(KB_PMD - 1);
	head = start - (uintptr_t)p;
	tail = span - head - len;
	if (head && munmap(p, head)) {
		run_fail(r, "munmap (trimming the reservation)", errno);
		unmap(p, span, r);
		return NULL;
	}
	if (tail && munmap((char *)start + len, tail)) {
		run_fail(r, "munmap (trimming the reservation)", errno);
		unmap((void *)start, len + tail, r);
		return NULL;
	}
	return (void *)start;
}

/*
 * kbench_mremap - moving a populated mapping's page tables.
 * A private anonymous mapping of a->pages written pages at a 2 MiB-aligned
 * address, and a 2 MiB-aligned PROT_NONE reservation of the same length
 * elsewhere (never touched: no page tables), so source and destination
 * are 2 MiB congruent and move_page_tables moves whole PMD entries (a
 * tail under 2 MiB, if any, pte by pte).  Timed: one mremap(src, len,
 * len, MREMAP_MAYMOVE | MREMAP_FIXED, dst), which also unmaps the empty
 * reservation at dst first.  Not timed: reserving, mapping, populating,
 * the munmap after.
 */
int kbench_mremap(const struct bench_args *a, uint64_t *ns, const char **why)
{
	struct run r = { 0 };
	size_t len = bench_len(a->pages, &r);
	void *src = NULL, *dst = NULL, *got;
	uint64_t t0, t = 0;
	int err;

	if (len)
		src = reserve_pmd_aligned(len, &r);
	if (!src)
		goto out;
	got = mmap(src, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		   -1, 0);
	if (got == MAP_FAILED) {
		run_fail(&r, "mmap (MAP_FIXED over the reservation)", errno);
		goto out;
	}
	if (no_thp(src, len, &r) || populate(src, len, MADV_POPULATE_WRITE, &r))
		goto out;
	dst = reserve_pmd_aligned(len, &r);
	if (!dst)
		goto out;
	t0 = bench_now_ns();
	got = mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	err = errno;
	t = bench_now_ns() - t0;
	if (got == MAP_FAILED) {
		run_fail(&r, "mremap", err);
	} else if (got != dst) {
		run_fail(&r, "mremap moved the mapping to the wrong address", 0);
		unmap(got, len, &r);
	} else {
		src = NULL;	/* moved: dst is the mapping now */
	}
out:
	unmap(src, len, &r);
	unmap(dst, len, &r);
	return run_end(&r, t, ns, why);
}

/*
 * kbench_munmap - tearing down a populated mapping.  Timed: munmap of a
 * private anonymous mapping of a->pages written pages (zap every pte,
 * free the pages and page tables, remove the VMA).  Not timed: mmap and
 * populate before.
 */
int kbench_munmap(const struct bench_args *a, uint64_t *ns, const char **why)
{
	struct run r = { 0 };
	size_t len = bench_len(a->pages, &r);
	uint64_t t0, t = 0;
	void *p = NULL;

	if (len)
		p = map_anon_populated(len, &r);
	if (!p)
		goto out;
	t0 = bench_now_ns();
	if (munmap(p, len)) {
		run_fail(&r, "munmap", errno);
		goto out;	/* still mapped: the teardown tries once more */
	}
	t = bench_now_ns() - t0;
	p = NULL;
out:
	unmap(p, len, &r);
	return run_end(&r, t, ns, why);
}

/*
 * Write @len bytes of non-zero data to @fd from offset 0, @chunk bytes a
 * call (a filesystem with large folios sizes new folios by the write).
 */
static int fill_file(int fd, size_t len, size_t chunk, struct run *r)
{
	char *buf = malloc(chunk);
	size_t off = 0;

	if (!buf) {
		run_fail(r, "out of memory", 0);
		return -1;
	}
	memset(buf, 0x5a, chunk);
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		ssize_t w = pwrite(fd, buf, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			run_fail(r, "write (filling the file)", w < 0 ? errno : EIO);
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
	if (write_full(m->ready[1], &c, 1) != 1)
		_exit(1);
	wait_eof(m->release[0]);
	_exit(c == 'y' ? 0 : 1);	/* exit_mmap unmaps the file */
}

static void mappers_stop(struct mappers *m, struct run *r);

/*
 * Fork @k mapping children of @len bytes of @fd and wait until every one
 * has its mapping populated.  On failure everything is torn down.
 */
static int mappers_start(struct mappers *m, int k, int fd, size_t len, struct run *r)
{
	char *ok;
	int i, good = 0;

	m->n = 0;
	m->ready[0] = m->ready[1] = m->release[0] = m->release[1] = -1;
	m->pids = calloc(k > 0 ? (size_t)k : 1, sizeof(*m->pids));
	ok = malloc(k > 0 ? (size_t)k : 1);
	if (!m->pids || !ok) {
		free(ok);
		run_fail(r, "out of memory", 0);
		mappers_stop(m, r);
		return -1;
	}
	if (pipe2(m->ready, O_CLOEXEC) || pipe2(m->release, O_CLOEXEC)) {
		run_fail(r, "pipe", errno);
		goto fail;
	}
	for (i = 0; i < k; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			run_fail(r, "fork (mapping children)", errno);
			goto fail;
		}
		if (pid == 0)
			mapper_child(m, fd, len);
		m->pids[m->n++] = pid;
	}
	close_fd(&m->ready[1], r);
	close_fd(&m->release[0], r);
	if (r->why)
		goto fail;
	if (k > 0 && read_full(m->ready[0], ok, (size_t)k) != k) {
		run_fail(r, "a mapping child died before it was ready", 0);
		goto fail;
	}
	for (i = 0; i < k; i++)
		good += ok[i] == 'y';
	if (good != k) {
		run_fail(r, "a child could not mmap and MADV_POPULATE_READ the file", 0);
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
static void mappers_stop(struct mappers *m, struct run *r)
{
	int i;

	close_fd(&m->release[1], r);
	close_fd(&m->release[0], r);
	close_fd(&m->ready[1], r);
	for (i = 0; i < m->n; i++)
		reap(m->pids[i], "a mapping child failed", r);
	close_fd(&m->ready[0], r);
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
	struct run r = { 0 };
	size_t len = bench_len(a->pages, &r);
	struct mappers m = { .n = 0 };
	uint64_t t0, t = 0;
	int fd = -1;

	if (!len)
		goto out;
	if (a->procs < 0) {
		run_fail(&r, "negative process count", 0);
		goto out;
	}
	fd = memfd_create("rmaplab-bench", MFD_CLOEXEC);
	if (fd < 0) {
		run_fail(&r, errno == ENOSYS ? "memfd_create unsupported" : "memfd_create", errno);
		goto out;
	}
	if (fill_file(fd, len, len < KB_FILL ? len : KB_FILL, &r) ||
	    mappers_start(&m, a->procs, fd, len, &r))
		goto out;
	t0 = bench_now_ns();
	if (ftruncate(fd, 0))
		run_fail(&r, "ftruncate", errno);
	else
		t = bench_now_ns() - t0;
	mappers_stop(&m, &r);
out:
	close_fd(&fd, &r);
	return run_end(&r, t, ns, why);
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
static int cached_pages(int fd, size_t len, size_t *test, size_t *sentinels, struct run *r)
{
	size_t n = len / KB_PAGE, i;
	unsigned char *vec = malloc(n);
	int ret = 0;
	void *p;

	*test = *sentinels = 0;
	if (!vec) {
		run_fail(r, "out of memory", 0);
		return -1;
	}
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		run_fail(r, "mmap (mincore of the file)", errno);
		free(vec);
		return -1;
	}
	if (mincore(p, len, vec)) {
		run_fail(r, "mincore", errno);
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
	unmap(p, len, r);
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
	if (write_full(pfd, pid, n) != (ssize_t)n || close(pfd))
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
static void remove_cgroup(const char *cg, struct run *r)
{
	struct timespec ms = { 0, 1000000 };
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		if (!rmdir(cg))
			return;
		if (errno != EBUSY) {
			run_fail(r, "rmdir (the bench memcg)", errno);
			return;
		}
		nanosleep(&ms, NULL);
	}
	run_fail(r, "rmdir (the bench memcg)", EBUSY);
}

/*
 * Write the file (@len bytes), make it clean, and drop the test pages from
 * the page cache, keeping the sentinels.  POSIX_FADV_RANDOM is left set
 * (on the open file, which the reader shares) so reads do no readahead
 * and allocate order-0 folios.
 */
static int rmap_file_prepare(int fd, size_t len, struct run *r)
{
	size_t pages = len / KB_PAGE, start, cnt, test, sentinels;
	int err = 0;

	if (fill_file(fd, len, KB_PAGE, r))	/* order-0 folios only */
		return -1;
	if (fsync(fd)) {
		run_fail(r, "fsync", errno);
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
		run_fail(r, "posix_fadvise", err);
		return -1;
	}
	if (cached_pages(fd, len, &test, &sentinels, r))
		return -1;
	if (test || sentinels != (pages + XA_CHUNK - 1) / XA_CHUNK) {
		run_fail(r, "POSIX_FADV_DONTNEED did not drop exactly the test pages of the file", 0);
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
	struct run r = { 0 };
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
		run_fail(&r, rmap_cannot, 0);
		goto out;
	}
	if (pages > SIZE_MAX / KB_PAGE / 2) {
		run_fail(&r, "too many pages for this address space", 0);
		goto out;
	}
	len = rmap_file_pages(pages) * KB_PAGE;
	if (a->procs < 0) {
		run_fail(&r, "negative process count", 0);
		goto out;
	}

	/* The file: clean, only its sentinels in the page cache. */
	snprintf(path, sizeof(path), "%s/rmaplab-bench-XXXXXX", rmap_dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		run_fail(&r, "mkstemp", errno);
		goto out;
	}
	if (unlink(path)) {
		run_fail(&r, "unlink (the bench file)", errno);
		goto out;
	}
	if (rmap_file_prepare(fd, len, &r))
		goto out;

	/* The memcg, and the test pages read (and charged) inside it. */
	snprintf(cg, sizeof(cg), MEMCG_V1 "/rmaplab-bench-%ld", (long)getpid());
	if (mkdir(cg, 0755) && (errno != EEXIST || rmdir(cg) || mkdir(cg, 0755))) {
		run_fail(&r, "mkdir (the bench memcg)", errno);
		goto out;
	}
	have_cg = true;
	pid = fork();
	if (pid < 0) {
		run_fail(&r, "fork (the reader)", errno);
		goto out;
	}
	if (pid == 0)
		reader_child(cg, fd, len);
	reap(pid, "the reader child could not join the memcg or read the file", &r);
	if (r.why || cached_pages(fd, len, &test, &sentinels, &r))
		goto out;
	if (test != pages) {
		run_fail(&r, "the reader did not bring every test page into the page cache", 0);
		goto out;
	}

	if (mappers_start(&m, a->procs, fd, len, &r))
		goto out;
	have_m = true;
	snprintf(path, sizeof(path), "%s/memory.force_empty", cg);
	efd = open(path, O_WRONLY | O_CLOEXEC);
	if (efd < 0) {
		run_fail(&r, "open memory.force_empty", errno);
		goto out;
	}
	one = map_anon(KB_PAGE, &r);
	if (!one)
		goto out;
	if (mlock(one, KB_PAGE))
		run_fail(&r, "mlock (draining the per-CPU LRU batches)", errno);
	unmap(one, KB_PAGE, &r);
	if (r.why)
		goto out;

	t0 = bench_now_ns();
	if (write(efd, "0", 1) != 1) {
		run_fail(&r, "write memory.force_empty", errno);
		goto out;
	}
	t = bench_now_ns() - t0;
	t /= pages;
	if (!cached_pages(fd, len, &test, &sentinels, &r) && test)
		run_fail(&r, "memory.force_empty left test pages of the file in the page cache", 0);
out:
	close_fd(&efd, &r);
	if (have_m)
		mappers_stop(&m, &r);
	if (have_cg)
		remove_cgroup(cg, &r);
	close_fd(&fd, &r);
	return run_end(&r, t, ns, why);
}

/*
 * kbench_thp_policy - the bracketed word of
 * /sys/kernel/mm/transparent_hugepage/enabled, or "unknown".  Read once.
 */
const char *kbench_thp_policy(void)
{
	static char word[32];
	static const char *policy;
	char line[128], *open_b, *close_b;
	FILE *f;

	if (policy)
		return policy;
	policy = "unknown";
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	if (!f)
		return policy;
	if (fgets(line, sizeof(line), f)) {
		open_b = strchr(line, '[');
		close_b = open_b ? strchr(open_b, ']') : NULL;
		if (close_b && close_b - open_b - 1 > 0 &&
		    (size_t)(close_b - open_b - 1) < sizeof(word)) {
			memcpy(word, open_b + 1, (size_t)(close_b - open_b - 1));
			word[close_b - open_b - 1] = '\0';
			policy = word;
		}
	}
	fclose(f);
	return policy;
}
