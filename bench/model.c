/*
 * bench/model.c - the model side of `rmaplab bench` (bench/bench.h)
 *
 * Each workload builds a fresh machine big enough for it (one node, THP
 * never, as the kernel side's MADV_NOHUGEPAGE; two nodes for the rmap row,
 * which migrates), sets the work up through the model's system calls, times
 * only the operation it compares with the kernel, and tears everything
 * down.  The work is the kernel's: every page is a real 4 KiB frame,
 * zeroed on fault and copied on COW.  A VM_BUG_ON or a leak is not a
 * number: the repetition fails with the model's message.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/bench_internal.h"
#include "explore/lock.h"
#include "explore/violation.h"
#include "lib/mman.h"
#include "lib/util.h"
#include "mm/internal.h"

#define MB_BASE		0x200000000UL	/* 8 GiB: 2 MiB (and 1 GiB) aligned */
#define MB_DEST		0x600000000UL	/* mremap's destination, congruent with MB_BASE */
#define MB_RW		(PROT_READ | PROT_WRITE)

struct mb {
	struct machine *m;
	struct ex_sink sink;
	struct ex_thread thread;
	const struct bench_args *a;
	uint64_t ns;
	long extra;			/* scale: fork chain's live anon_vmas */
	struct bench_memory *mem;	/* the memory row */
	char why[256];
};

typedef void (*mb_body)(struct mb *b);

static void mb_fail(struct mb *b, const char *what)
{
	if (!b->why[0])
		snprintf(b->why, sizeof(b->why), "model: %s", what);
	ex_fatal(EX_BUG, NULL, NULL, "bench: %s", what);
}

/* Run @body with a recovery point: a VM_BUG_ON lands in b->sink. */
static void mb_call(struct mb *b, mb_body body)
{
	jmp_buf jb;

	if (!setjmp(jb)) {
		b->sink.recover = &jb;
		body(b);
	}
	b->sink.recover = NULL;
}

/* Run @body on a fresh machine of @frames frames; 0, or -1 with *why. */
static int mb_run_extra(const struct bench_args *a, unsigned long frames, int nodes, mb_body body,
			uint64_t *ns, long *extra, struct bench_memory *mem, const char **why)
{
	static _Thread_local char why_buf[256];
	struct vm_config config = { .frames = frames, .nodes = nodes, .thp = 0, .populate = true };
	struct mb b;
	int ret = 0;

	memset(&b, 0, sizeof(b));
	b.a = a;
	b.mem = mem;
	b.m = machine_create(&config, NULL);
	machine = b.m;
	ex_sink_init(&b.sink);
	ex_sink = &b.sink;
	ex_thread_init(&b.thread, 0, "bench");
	ex_set_current(&b.thread);
	ex_lockdep = false;	/* a production kernel has no lockdep either */
	mb_call(&b, body);
	ex_lockdep = true;
	if (b.sink.first.kind != EX_KIND_NONE || b.why[0]) {
		if (b.why[0])	/* the workload's own check (mb_fail) */
			snprintf(why_buf, sizeof(why_buf), "%s", b.why);
		else
			snprintf(why_buf, sizeof(why_buf), "model: %s: %.200s",
				 ex_kind_name(b.sink.first.kind),
				 b.sink.first.message ? b.sink.first.message : "");
		*why = why_buf;
		ret = -1;
	}
	ex_thread_forget_locks(&b.thread);
	ex_set_current(NULL);
	machine_destroy(b.m);
	machine = NULL;
	ex_sink_reset(&b.sink);
	ex_sink = NULL;
	*ns = b.ns;
	if (extra)
		*extra = b.extra;
	return ret;
}

static int mb_run(const struct bench_args *a, unsigned long frames, int nodes, mb_body body,
		  uint64_t *ns, const char **why)
{
	return mb_run_extra(a, frames, nodes, body, ns, NULL, NULL, why);
}

static unsigned long bytes(const struct mb *b)
{
	return b->a->pages * PAGE_SIZE;
}

static struct task_struct *mb_proc(struct mb *b)
{
	struct task_struct *t = task_create();

	if (!t)
		mb_fail(b, "task_create: ENOMEM");
	return t;
}

/* A private anonymous mapping of the workload's size at @addr, not populated. */
static void mb_map_anon(struct mb *b, struct mm_struct *mm, unsigned long addr)
{
	unsigned long progress;

	if (sys_mmap(mm, addr, bytes(b), MB_RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0,
		     &progress) != (long)addr)
		mb_fail(b, "mmap failed");
	if (sys_madvise(mm, addr, bytes(b), MADV_NOHUGEPAGE, &progress))
		mb_fail(b, "madvise(MADV_NOHUGEPAGE) failed");
}

static void mb_madvise(struct mb *b, struct mm_struct *mm, unsigned long addr, unsigned long len,
		       int advice)
{
	unsigned long progress;

	if (sys_madvise(mm, addr, len, advice, &progress))
		mb_fail(b, "madvise(MADV_POPULATE_*) failed");
}

/* A process whose private anonymous mapping at MB_BASE is populated (written). */
static struct task_struct *mb_populated(struct mb *b)
{
	struct task_struct *p = mb_proc(b);

	mb_map_anon(b, p->mm, MB_BASE);
	mb_madvise(b, p->mm, MB_BASE, bytes(b), MADV_POPULATE_WRITE);
	return p;
}

static struct task_struct *mb_fork(struct mb *b, struct task_struct *parent)
{
	struct task_struct *child = NULL;

	if (copy_process(parent, &child))
		mb_fail(b, "fork failed");
	return child;
}

static unsigned long anon_frames(const struct bench_args *a, int copies)
{
	/* the pages, their copies, and room for page tables and slack */
	return a->pages * (unsigned long)copies + a->pages / 256 + 4096;
}

/* ------------------------------------------------------------------ */

static void body_fault_in(struct mb *b)
{
	struct task_struct *p = mb_proc(b);
	uint64_t t0;

	mb_map_anon(b, p->mm, MB_BASE);
	t0 = bench_now_ns();
	mb_madvise(b, p->mm, MB_BASE, bytes(b), MADV_POPULATE_WRITE);
	b->ns = bench_now_ns() - t0;
	do_exit(p);
}

int mbench_fault_in(const struct bench_args *a, uint64_t *ns, const char **why)
{
	return mb_run(a, anon_frames(a, 1), 1, body_fault_in, ns, why);
}

static void body_cow(struct mb *b)
{
	struct task_struct *p = mb_populated(b), *c;
	uint64_t t0;

	c = mb_fork(b, p);
	t0 = bench_now_ns();
	mb_madvise(b, c->mm, MB_BASE, bytes(b), MADV_POPULATE_WRITE);	/* every page copied */
	b->ns = bench_now_ns() - t0;
	do_exit(c);
	do_exit(p);
}

int mbench_cow(const struct bench_args *a, uint64_t *ns, const char **why)
{
	return mb_run(a, anon_frames(a, 2), 1, body_cow, ns, why);
}

static void body_reuse(struct mb *b)
{
	struct task_struct *p = mb_populated(b);
	uint64_t t0;

	do_exit(mb_fork(b, p));
	t0 = bench_now_ns();
	mb_madvise(b, p->mm, MB_BASE, bytes(b), MADV_POPULATE_WRITE);	/* do_wp_page reuses */
	b->ns = bench_now_ns() - t0;
	do_exit(p);
}

int mbench_reuse(const struct bench_args *a, uint64_t *ns, const char **why)
{
	return mb_run(a, anon_frames(a, 1), 1, body_reuse, ns, why);
}

static void body_fork(struct mb *b)
{
	struct task_struct *p = mb_populated(b), *c;
	uint64_t t0;

	t0 = bench_now_ns();
	c = mb_fork(b, p);
	b->ns = bench_now_ns() - t0;
	do_exit(c);
	do_exit(p);
}

int mbench_fork(const struct bench_args *a, uint64_t *ns, const char **why)
{
	return mb_run(a, anon_frames(a, 1), 1, body_fork, ns, why);
}

static void body_mremap(struct mb *b)
{
	struct task_struct *p = mb_populated(b);
	uint64_t t0;
	long ret;

	t0 = bench_now_ns();
	ret = sys_mremap(p->mm, MB_BASE, bytes(b), bytes(b), MREMAP_MAYMOVE | MREMAP_FIXED, MB_DEST);
	b->ns = bench_now_ns() - t0;
	if (ret != (long)MB_DEST)
		mb_fail(b, "mremap failed");
	do_exit(p);
}

int mbench_mremap(const struct bench_args *a, uint64_t *ns, const char **why)
{
	return mb_run(a, anon_frames(a, 1), 1, body_mremap, ns, why);
}

static void body_munmap(struct mb *b)
{
	struct task_struct *p = mb_populated(b);
	uint64_t t0;
	int ret;

	t0 = bench_now_ns();
	ret = sys_munmap(p->mm, MB_BASE, bytes(b));
	b->ns = bench_now_ns() - t0;
	if (ret)
		mb_fail(b, "munmap failed");
	do_exit(p);
}

int mbench_munmap(const struct bench_args *a, uint64_t *ns, const char **why)
{
	return mb_run(a, anon_frames(a, 1), 1, body_munmap, ns, why);
}

/*
 * A memfd of the workload's size, every page written (in the page cache),
 * mapped shared and MADV_POPULATE_READ by @procs processes.
 */
static struct file *mb_shared_file(struct mb *b, struct task_struct **procs, int nr)
{
	struct user_buf data = { .bytes = NULL, .fill = 'x', .len = bytes(b) };
	struct file *f = file_create("bench", bytes(b), true);
	unsigned long progress;

	if (IS_ERR_OR_NULL(f))
		mb_fail(b, "file_create failed");
	if (kernel_write(f, &data, 0) != (long)bytes(b))
		mb_fail(b, "write of the file failed");
	for (int i = 0; i < nr; i++) {
		procs[i] = mb_proc(b);
		if (sys_mmap(procs[i]->mm, MB_BASE, bytes(b), MB_RW, MAP_SHARED | MAP_FIXED, f, 0,
			     &progress) != (long)MB_BASE)
			mb_fail(b, "mmap of the file failed");
		mb_madvise(b, procs[i]->mm, MB_BASE, bytes(b), MADV_POPULATE_READ);
	}
	return f;
}

static void body_truncate(struct mb *b)
{
	struct task_struct **procs = xcalloc((size_t)b->a->procs, sizeof(*procs));
	struct file *f;
	uint64_t t0;
	int ret;

	f = mb_shared_file(b, procs, b->a->procs);
	t0 = bench_now_ns();
	ret = do_truncate(f, 0);
	b->ns = bench_now_ns() - t0;
	for (int i = 0; i < b->a->procs; i++)
		do_exit(procs[i]);
	fput(f);
	free(procs);
	if (ret)
		mb_fail(b, "truncate failed");
}

int mbench_truncate(const struct bench_args *a, uint64_t *ns, const char **why)
{
	return mb_run(a, a->pages + 4096 + (unsigned long)a->procs * (a->pages / 256 + 8), 1,
		      body_truncate, ns, why);
}

/*
 * The rmap walk: the file's pages, each mapped by @procs processes, are
 * migrated to the other node one by one (move_pages: try_to_migrate walks
 * i_mmap and installs a migration entry in every VMA, remove_migration_ptes
 * walks it again).  Per page.
 */
static void body_rmap(struct mb *b)
{
	struct task_struct **procs = xcalloc((size_t)b->a->procs, sizeof(*procs));
	struct file *f;
	uint64_t t0;
	int bad = 0;

	f = mb_shared_file(b, procs, b->a->procs);
	t0 = bench_now_ns();
	for (unsigned long i = 0; i < b->a->pages; i++)
		bad |= sys_move_pages(procs[0]->mm, MB_BASE + i * PAGE_SIZE, -1);
	b->ns = (bench_now_ns() - t0) / b->a->pages;
	for (int i = 0; i < b->a->procs; i++)
		do_exit(procs[i]);
	fput(f);
	free(procs);
	if (bad)
		mb_fail(b, "move_pages failed");
}

int mbench_rmap(const struct bench_args *a, uint64_t *ns, const char **why)
{
	unsigned long frames = 2 * (a->pages + 4096 + (unsigned long)a->procs * 16);

	return mb_run(a, frames, 2, body_rmap, ns, why);
}

/* ------------------------------------------------------------------ */
/* Scale: the model alone */

int mbench_scale_fault(unsigned long pages, double *ns_per_page, const char **why)
{
	struct bench_args a = { pages, 0 };
	uint64_t ns;
	int ret = mbench_fault_in(&a, &ns, why);

	*ns_per_page = (double)ns / (double)pages;
	return ret;
}

/*
 * @pages one-page VMAs with a hole between each two (nothing merges); time
 * a write fault in each: find_vma in a tree of that many VMAs, then the
 * anonymous fault (an anon_vma for each).
 */
static void body_vmas(struct mb *b)
{
	struct task_struct *p = mb_proc(b);
	unsigned long progress, n = b->a->pages;
	uint64_t t0;

	for (unsigned long i = 0; i < n; i++)
		if (sys_mmap(p->mm, MB_BASE + 2 * i * PAGE_SIZE, PAGE_SIZE, MB_RW,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0, &progress) < 0)
			mb_fail(b, "mmap failed");
	t0 = bench_now_ns();
	for (unsigned long i = 0; i < n; i++)
		mb_madvise(b, p->mm, MB_BASE + 2 * i * PAGE_SIZE, PAGE_SIZE, MADV_POPULATE_WRITE);
	b->ns = bench_now_ns() - t0;
	do_exit(p);
}

int mbench_scale_vmas(unsigned long nr, double *ns_per_fault, const char **why)
{
	struct bench_args a = { nr, 0 };
	uint64_t ns;
	int ret = mb_run(&a, 2 * nr + 4096, 1, body_vmas, &ns, why);

	*ns_per_fault = (double)ns / (double)nr;
	return ret;
}

/*
 * A fork chain @depth deep: each generation forks the next and exits, and
 * the child writes its page (a COW copy in a new anon_vma, unless
 * anon_vma_fork reused one).  Per fork; extra = live anon_vmas at the end.
 */
static void body_fork_chain(struct mb *b)
{
	struct task_struct *p = mb_proc(b), *c;
	struct user_buf data = { .bytes = NULL, .fill = 'x', .len = PAGE_SIZE };
	unsigned long progress;
	uint64_t total = 0, t0;

	if (sys_mmap(p->mm, MB_BASE, PAGE_SIZE, MB_RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL,
		     0, &progress) != (long)MB_BASE)
		mb_fail(b, "mmap failed");
	for (unsigned long d = 0; d <= b->a->pages; d++) {
		if (uaccess_write(p->mm, MB_BASE, &data, &progress) != UA_OK)
			mb_fail(b, "write failed");
		if (d == b->a->pages)
			break;
		t0 = bench_now_ns();
		c = mb_fork(b, p);
		total += bench_now_ns() - t0;
		do_exit(p);
		p = c;
	}
	b->ns = total;
	b->extra = machine->live[VM_ALLOC_ANON_VMA];
	do_exit(p);
}

int mbench_scale_fork_chain(unsigned long depth, double *ns_per_fork, long *anon_vmas,
			    const char **why)
{
	struct bench_args a = { depth, 0 };
	uint64_t ns;
	int ret = mb_run_extra(&a, 2 * depth + 4096, 1, body_fork_chain, &ns, anon_vmas, NULL, why);

	*ns_per_fork = (double)ns / (double)depth;
	return ret;
}

/*
 * Memory: one process with a populated private anonymous mapping; the
 * model's metadata per page, from its allocation accounting: the struct
 * folio of each frame, page tables, VMA and rmap objects, the rest.
 */
static void body_memory(struct mb *b)
{
	struct task_struct *p = mb_populated(b);
	struct bench_memory *m = b->mem;
	double n = (double)b->a->pages;
	size_t all = 0;

	for (int s = 0; s < VM_NR_ALLOC_SITES; s++)
		all += machine->live_bytes[s];
	m->pages = b->a->pages;
	m->folio_size = sizeof(struct folio);
	m->folio = (double)(machine->frames_in_use * sizeof(struct folio)) / n;
	m->pgtable = (double)machine->live_bytes[VM_ALLOC_PGTABLE] / n;
	m->vma_rmap = (double)(machine->live_bytes[VM_ALLOC_VMA] + machine->live_bytes[VM_ALLOC_ANON_VMA] +
			       machine->live_bytes[VM_ALLOC_AVC]) / n;
	m->other = (double)all / n - m->pgtable - m->vma_rmap;
	m->total = m->folio + m->pgtable + m->vma_rmap + m->other;
	do_exit(p);
}

int mbench_memory(unsigned long pages, struct bench_memory *m, const char **why)
{
	struct bench_args a = { pages, 0 };
	uint64_t ns;

	return mb_run_extra(&a, anon_frames(&a, 1), 1, body_memory, &ns, NULL, m, why);
}
