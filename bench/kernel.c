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

#include "bench/kernel_internal.h"

static char why_buf[160];

/* Record @what (with strerror(@err) unless @err is 0) if nothing failed yet. */
void kb_run_fail(struct kb_run *r, const char *what, int err)
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
int kb_run_end(struct kb_run *r, uint64_t t, uint64_t *ns, const char **why)
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
size_t kb_len(unsigned long pages, struct kb_run *r)
{
	if (!pages) {
		kb_run_fail(r, "needs at least one page", 0);
		return 0;
	}
	if (pages > SIZE_MAX / KB_PAGE) {
		kb_run_fail(r, "too many pages for this address space", 0);
		return 0;
	}
	return pages * KB_PAGE;
}

void kb_unmap(void *p, size_t len, struct kb_run *r)
{
	if (p && munmap(p, len))
		kb_run_fail(r, "munmap (teardown)", errno);
}

void kb_close_fd(int *fd, struct kb_run *r)
{
	if (*fd >= 0 && close(*fd))
		kb_run_fail(r, "close (teardown)", errno);
	*fd = -1;
}

/* MADV_NOHUGEPAGE on [p, p + len): every mapping gets it before it is populated. */
int kb_no_thp(void *p, size_t len, struct kb_run *r)
{
	if (!madvise(p, len, MADV_NOHUGEPAGE))
		return 0;
	kb_run_fail(r, "madvise(MADV_NOHUGEPAGE)", errno);
	return -1;
}

int kb_populate(void *p, size_t len, int advice, struct kb_run *r)
{
	bool wr = advice == MADV_POPULATE_WRITE;

	if (!madvise(p, len, advice))
		return 0;
	if (errno == EINVAL)
		kb_run_fail(r, wr ? "MADV_POPULATE_WRITE unsupported (needs Linux 5.14)" :
				 "MADV_POPULATE_READ unsupported (needs Linux 5.14)", 0);
	else
		kb_run_fail(r, wr ? "madvise(MADV_POPULATE_WRITE)" : "madvise(MADV_POPULATE_READ)",
			 errno);
	return -1;
}

/* A fresh private anonymous read-write mapping, MADV_NOHUGEPAGE, not populated. */
void *kb_map_anon(size_t len, struct kb_run *r)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		kb_run_fail(r, "mmap (anonymous)", errno);
		return NULL;
	}
	if (kb_no_thp(p, len, r)) {
		kb_unmap(p, len, r);
		return NULL;
	}
	return p;
}

/* map_anon, then written (MADV_POPULATE_WRITE): every page present and private. */
void *kb_map_anon_populated(size_t len, struct kb_run *r)
{
	void *p = kb_map_anon(len, r);

	if (p && kb_populate(p, len, MADV_POPULATE_WRITE, r)) {
		kb_unmap(p, len, r);
		return NULL;
	}
	return p;
}

ssize_t kb_read_full(int fd, void *buf, size_t len)
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

ssize_t kb_write_full(int fd, const void *buf, size_t len)
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
void kb_wait_eof(int fd)
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
void kb_reap(pid_t pid, const char *what, struct kb_run *r)
{
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			kb_run_fail(r, "waitpid", errno);
			return;
		}
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		kb_run_fail(r, what, 0);
}

/*
 * kbench_fault_in - first-touch faults of a private anonymous mapping.
 * Timed: one MADV_POPULATE_WRITE over a fresh mapping of a->pages pages
 * (a zeroed page allocated and mapped for each).  Not timed: the mmap and
 * MADV_NOHUGEPAGE before it, the munmap after.
 */
int kbench_fault_in(const struct bench_args *a, uint64_t *ns, const char **why)
{
	struct kb_run r = { 0 };
	size_t len = kb_len(a->pages, &r);
	uint64_t t0, t = 0;
	void *p = NULL;

	if (len)
		p = kb_map_anon(len, &r);
	if (p) {
		t0 = bench_now_ns();
		if (!kb_populate(p, len, MADV_POPULATE_WRITE, &r))
			t = bench_now_ns() - t0;
		kb_unmap(p, len, &r);
	}
	return kb_run_end(&r, t, ns, why);
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
	struct kb_run r = { 0 };
	size_t len = kb_len(a->pages, &r);
	struct child_result res = { 0, 0 };
	int pfd[2] = { -1, -1 };
	void *p = NULL;
	pid_t pid;

	if (len)
		p = kb_map_anon_populated(len, &r);
	if (!p)
		goto out;
	if (pipe2(pfd, O_CLOEXEC)) {
		kb_run_fail(&r, "pipe", errno);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		kb_run_fail(&r, "fork", errno);
		goto out;
	}
	if (pid == 0) {
		uint64_t t0 = bench_now_ns();

		if (madvise(p, len, MADV_POPULATE_WRITE))
			res.err = errno ? errno : EIO;
		else
			res.ns = bench_now_ns() - t0;
		_exit(kb_write_full(pfd[1], &res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	kb_close_fd(&pfd[1], &r);
	if (kb_read_full(pfd[0], &res, sizeof(res)) != sizeof(res))
		kb_run_fail(&r, "the COW child sent no result", 0);
	else if (res.err)
		kb_run_fail(&r, "madvise(MADV_POPULATE_WRITE) in the child", res.err);
	kb_reap(pid, "the COW child failed", &r);
out:
	kb_close_fd(&pfd[0], &r);
	kb_close_fd(&pfd[1], &r);
	kb_unmap(p, len, &r);
	return kb_run_end(&r, res.ns, ns, why);
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
	struct kb_run r = { 0 };
	size_t len = kb_len(a->pages, &r);
	uint64_t t0, t = 0;
	void *p = NULL;
	pid_t pid;

	if (len)
		p = kb_map_anon_populated(len, &r);
	if (!p)
		goto out;
	pid = fork();
	if (pid < 0) {
		kb_run_fail(&r, "fork", errno);
		goto out;
	}
	if (pid == 0)
		_exit(0);
	kb_reap(pid, "the forked child failed", &r);
	if (r.why)
		goto out;
	t0 = bench_now_ns();
	if (!kb_populate(p, len, MADV_POPULATE_WRITE, &r))
		t = bench_now_ns() - t0;
out:
	kb_unmap(p, len, &r);
	return kb_run_end(&r, t, ns, why);
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
	struct kb_run r = { 0 };
	size_t len = kb_len(a->pages, &r);
	uint64_t t0, t = 0;
	void *p = NULL;
	pid_t pid;
	int err;

	if (len)
		p = kb_map_anon_populated(len, &r);
	if (!p)
		goto out;
	t0 = bench_now_ns();
	pid = fork();
	if (pid == 0)
		_exit(0);
	err = errno;
	t = bench_now_ns() - t0;
	if (pid < 0)
		kb_run_fail(&r, "fork", err);
	else
		kb_reap(pid, "the forked child failed", &r);
out:
	kb_unmap(p, len, &r);
	return kb_run_end(&r, t, ns, why);
}

/*
 * An inaccessible reservation of @len bytes at a 2 MiB-aligned address:
 * over-map PROT_NONE by 2 MiB and trim both ends.
 */
static void *reserve_pmd_aligned(size_t len, struct kb_run *r)
{
	size_t span = len + KB_PMD, head, tail;
	uintptr_t start;
	char *p;

	if (len > SIZE_MAX - KB_PMD) {
		kb_run_fail(r, "too many pages for this address space", 0);
		return NULL;
	}
	p = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		kb_run_fail(r, "mmap (PROT_NONE reservation)", errno);
		return NULL;
	}
	start = ((uintptr_t)p + KB_PMD - 1) & ~(uintptr_t)(KB_PMD - 1);
	head = start - (uintptr_t)p;
	tail = span - head - len;
	if (head && munmap(p, head)) {
		kb_run_fail(r, "munmap (trimming the reservation)", errno);
		kb_unmap(p, span, r);
		return NULL;
	}
	if (tail && munmap((char *)start + len, tail)) {
		kb_run_fail(r, "munmap (trimming the reservation)", errno);
		kb_unmap((void *)start, len + tail, r);
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
	struct kb_run r = { 0 };
	size_t len = kb_len(a->pages, &r);
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
		kb_run_fail(&r, "mmap (MAP_FIXED over the reservation)", errno);
		goto out;
	}
	if (kb_no_thp(src, len, &r) || kb_populate(src, len, MADV_POPULATE_WRITE, &r))
		goto out;
	dst = reserve_pmd_aligned(len, &r);
	if (!dst)
		goto out;
	t0 = bench_now_ns();
	got = mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	err = errno;
	t = bench_now_ns() - t0;
	if (got == MAP_FAILED) {
		kb_run_fail(&r, "mremap", err);
	} else if (got != dst) {
		kb_run_fail(&r, "mremap moved the mapping to the wrong address", 0);
		kb_unmap(got, len, &r);
	} else {
		src = NULL;	/* moved: dst is the mapping now */
	}
out:
	kb_unmap(src, len, &r);
	kb_unmap(dst, len, &r);
	return kb_run_end(&r, t, ns, why);
}

/*
 * kbench_munmap - tearing down a populated mapping.  Timed: munmap of a
 * private anonymous mapping of a->pages written pages (zap every pte,
 * free the pages and page tables, remove the VMA).  Not timed: mmap and
 * populate before.
 */
int kbench_munmap(const struct bench_args *a, uint64_t *ns, const char **why)
{
	struct kb_run r = { 0 };
	size_t len = kb_len(a->pages, &r);
	uint64_t t0, t = 0;
	void *p = NULL;

	if (len)
		p = kb_map_anon_populated(len, &r);
	if (!p)
		goto out;
	t0 = bench_now_ns();
	if (munmap(p, len)) {
		kb_run_fail(&r, "munmap", errno);
		goto out;	/* still mapped: the teardown tries once more */
	}
	t = bench_now_ns() - t0;
	p = NULL;
out:
	kb_unmap(p, len, &r);
	return kb_run_end(&r, t, ns, why);
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
