/*
 * spec/spec.c - the reference semantics: what every statement returns
 *
 * Dispatches each statement to the rule of docs/semantics.md that decides
 * it (processes and files here; the address space in space.c and
 * mmap.c; loads, stores and populate in access.c; file content in
 * file.c) and writes the predicted outcome.
 *
 * Conventions of the outcome:
 * - mmap's address is SCN_RES_INT;
 * - read and pread return SCN_RES_DATA with out->data malloc'd and never
 *   NULL, also for empty data (len 0);
 * - a statement naming a process that does not exist is ESRCH with no
 *   effect; one naming a file that was never created is ENOENT (the
 *   contract does not say; the parser should make it impossible);
 * - results spec/ does not predict set out->unpredictable (kind OK).
 *
 * Out of memory (model->alloc_failed): the statement is one that failed
 * with no effect and the prediction is ENOMEM, except that write, read
 * (for its growsdown extensions), mmap's populate and madvise
 * populate_read/populate_write first apply their first model->progress
 * pages.  An mmap whose populate ran out of memory is a created mapping:
 * when the model still returned the address (SCN_RES_INT, as step 11
 * says: "every error is ignored"), spec/ predicts the address too; when it
 * returned ENOMEM, the mapping is taken as created only if progress > 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "spec/internal.h"
#include "spec/spec.h"

struct spec *spec_create(const struct scenario *scn)
{
	struct spec *s = xcalloc(1, sizeof(*s));

	s->thp = scn ? scn->config.thp : SCN_THP_MADVISE;
	s->memfd = scn && scn->config.files == SCN_FILES_MEMFD;
	return s;
}

void spec_destroy(struct spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_procs; i++)
		spec_mm_free(s->procs[i]);
	for (size_t i = 0; i < s->nr_files; i++)
		spec_file_put(s->files[i]);
	free(s->procs);
	free(s->files);
	free(s);
}

/* The slot of process symbol @idx, the array grown as needed. */
static struct spec_mm **proc_slot(struct spec *s, int idx)
{
	if ((size_t)idx >= s->nr_procs) {
		size_t n = (size_t)idx + 1;

		s->procs = xrealloc(s->procs, n * sizeof(*s->procs));
		for (size_t i = s->nr_procs; i < n; i++)
			s->procs[i] = NULL;
		s->nr_procs = n;
	}
	return &s->procs[idx];
}

/* The slot of file symbol @idx, the array grown as needed. */
static struct spec_file **file_slot(struct spec *s, int idx)
{
	if ((size_t)idx >= s->nr_files) {
		size_t n = (size_t)idx + 1;

		s->files = xrealloc(s->files, n * sizeof(*s->files));
		for (size_t i = s->nr_files; i < n; i++)
			s->files[i] = NULL;
		s->nr_files = n;
	}
	return &s->files[idx];
}

static struct spec_mm *proc_get(const struct spec *s, int idx)
{
	return idx >= 0 && (size_t)idx < s->nr_procs ? s->procs[idx] : NULL;
}

static struct spec_file *file_get(const struct spec *s, int idx)
{
	return idx >= 0 && (size_t)idx < s->nr_files ? s->files[idx] : NULL;
}

bool spec_proc_exists(const struct spec *s, int proc)
{
	return proc_get(s, proc) != NULL;
}

static void set_err(struct scn_outcome *out, int err)
{
	out->kind = SCN_RES_ERRNO;
	out->err = err < 0 ? -err : err;
}

/* 0 -> ok, negative -> errno, SPEC_SIG* -> signal */
static void set_result(struct scn_outcome *out, int r)
{
	if (r < 0) {
		set_err(out, r);
	} else if (r == SPEC_SIGSEGV || r == SPEC_SIGBUS) {
		out->kind = SCN_RES_SIGNAL;
		out->sig = r == SPEC_SIGSEGV ? SIGSEGV : SIGBUS;
	} else {
		out->kind = SCN_RES_OK;
	}
}

static void set_data(struct scn_outcome *out, unsigned char *buf, uint64_t len)
{
	out->kind = SCN_RES_DATA;
	out->data = buf;
	out->len = len;
}

/* One statement, with out of memory already decided by the caller. */
struct exec_ctx {
	struct spec *s;
	const struct scn_stmt *st;
	const struct scn_args *a;
	const struct scn_outcome *model;
	bool oom;		/* model->alloc_failed */
	uint64_t limit;		/* model->progress when oom, else UINT64_MAX */
	struct scn_outcome *out;
};

/*
 * exec P ARGSIZE (docs/semantics.md, "Processes"): P's mappings are
 * replaced by its stack, moved down by the fixed shift: one private
 * anonymous growsdown mapping whose last ARGSIZE bytes are 'a'.  Returns
 * the first of them.  When memory runs out (the model's ENOMEM), P is
 * gone if the model got past the point of no return (model->progress 1),
 * else unchanged.
 */
static void exec_image(struct exec_ctx *c, struct spec_mm **slot)
{
	uint64_t argsize = c->a->len, top = SPEC_TASK_SIZE - SPEC_EXEC_STACK_SHIFT;
	struct scn_data fill = { .kind = SCN_DATA_FILL, .fill = 'a', .len = argsize };
	struct spec_vma v = { .end = top, .prot = SCN_PROT_READ | SCN_PROT_WRITE,
			      .kind = SPEC_PRIVATE_ANON, .growsdown = true };
	struct spec_mm *mm;

	if (!argsize || argsize > SPEC_RLIMIT_STACK / 4) {
		set_err(c->out, -E2BIG);
		return;
	}
	if (c->oom) {
		if (c->model->progress) {
			spec_mm_free(*slot);
			*slot = NULL;
		}
		set_err(c->out, -ENOMEM);
		return;
	}
	v.start = spec_round_down(top - argsize, SPEC_PAGE_SIZE);
	v.pgoff = v.start / SPEC_PAGE_SIZE;
	mm = spec_mm_new();
	spec_mm_insert(mm, 0, &v);
	for (uint64_t a = v.start; a < top; a += SPEC_PAGE_SIZE) {
		uint64_t from = a > top - argsize ? a : top - argsize;
		struct spec_page *pg = spec_pm_get(&mm->priv, a / SPEC_PAGE_SIZE, NULL);

		spec_page_store(pg, from - a, &fill, 0, a + SPEC_PAGE_SIZE - from);
	}
	spec_mm_free(*slot);
	*slot = mm;
	c->out->kind = SCN_RES_INT;
	c->out->value = (int64_t)(top - argsize);
}

/* proc P, fork P Q, exit P, exec P (docs/semantics.md, "Processes"). */
static void exec_process(struct exec_ctx *c)
{
	struct spec_mm *mm = proc_get(c->s, c->st->proc), *child;

	if (c->st->op != SCN_OP_PROC && !mm) {
		set_err(c->out, -ESRCH);
		return;
	}
	if (c->st->op == SCN_OP_EXEC) {
		exec_image(c, proc_slot(c->s, c->st->proc));
		return;
	}
	if (c->oom) {
		set_err(c->out, -ENOMEM);
		return;
	}
	switch (c->st->op) {
	case SCN_OP_PROC:	/* an existing P is replaced (the parser forbids it) */
		spec_mm_free(mm);
		*proc_slot(c->s, c->st->proc) = spec_mm_new();
		break;
	case SCN_OP_FORK:
		child = spec_mm_dup(mm);
		spec_mm_free(proc_get(c->s, c->st->proc2));
		*proc_slot(c->s, c->st->proc2) = child;
		break;
	default:		/* exit: all of P's mappings go */
		spec_mm_free(mm);
		c->s->procs[c->st->proc] = NULL;
		break;
	}
	set_result(c->out, 0);
}

/* file, pread, pwrite, truncate (docs/semantics.md, "Files"). */
static void exec_file(struct exec_ctx *c)
{
	struct spec_file *f = file_get(c->s, c->st->file), **slot;
	unsigned char *buf;
	uint64_t n;
	int r;

	if (c->st->op != SCN_OP_FILE && !f) {
		set_err(c->out, -ENOENT);
		return;
	}
	if (c->oom && c->st->op == SCN_OP_PWRITE) {
		/* a short write keeps its first model->progress bytes */
		struct scn_data part = c->st->data;

		part.len = MIN(part.len, c->limit);
		if (part.len)
			spec_do_pwrite(f, c->a->off, &part);
		set_err(c->out, -ENOMEM);
		return;
	}
	if (c->oom && c->st->op == SCN_OP_PREAD && c->model->kind == SCN_RES_DATA) {
		/* a short read: the first bytes, as many as the model got */
		r = spec_do_pread(f, c->a->off, c->a->len, &buf, &n);
		if (r) {
			set_err(c->out, r);
			return;
		}
		set_data(c->out, buf, MIN(n, c->model->len));
		return;
	}
	if (c->oom) {
		set_err(c->out, -ENOMEM);
		return;
	}
	switch (c->st->op) {
	case SCN_OP_FILE:
		if (c->a->len > SPEC_MAX_LFS_FILESIZE) {
			set_err(c->out, -EINVAL);	/* a negative off_t, as for truncate */
			return;
		}
		if (c->a->len > (c->s->memfd ? SPEC_MAX_LFS_FILESIZE : SPEC_EXT4_MAXBYTES)) {
			set_err(c->out, -EFBIG);
			return;
		}
		slot = file_slot(c->s, c->st->file);
		spec_file_put(*slot);	/* mappings of an old F keep it alive */
		*slot = spec_file_new(c->a->len, c->s->memfd);
		set_result(c->out, 0);
		return;
	case SCN_OP_PREAD:
		r = spec_do_pread(f, c->a->off, c->a->len, &buf, &n);
		if (r) {
			set_err(c->out, r);
			return;
		}
		set_data(c->out, buf, n);
		return;
	case SCN_OP_PWRITE:
		set_result(c->out, spec_do_pwrite(f, c->a->off, &c->st->data));
		return;
	default:
		set_result(c->out, spec_do_truncate(c->s, f, c->a->len));
		return;
	}
}

/* read P ADDR LEN, write P ADDR DATA (docs/semantics.md, "Reads and writes"). */
static void exec_access(struct exec_ctx *c, struct spec_mm *mm)
{
	uint64_t len = c->a->len;
	unsigned char *buf;
	int r;

	if (c->st->op == SCN_OP_WRITE) {
		r = spec_access(mm, c->a->addr, c->st->data.len, &c->st->data, c->limit, NULL);
		set_result(c->out, c->oom ? -ENOMEM : r);
		return;
	}
	r = spec_access(mm, c->a->addr, len, NULL, c->limit, NULL);
	if (c->oom || r) {
		set_result(c->out, c->oom ? -ENOMEM : r);
		return;
	}
	buf = xmalloc(len ? len : 1);
	spec_access(mm, c->a->addr, len, NULL, UINT64_MAX, buf);
	set_data(c->out, buf, len);
}

/* mmap (docs/semantics.md, "mmap"; out of memory as the file comment says). */
static void exec_mmap(struct exec_ctx *c, struct spec_mm *mm)
{
	bool model_int = c->oom && c->model->kind == SCN_RES_INT;
	uint64_t addr;
	int r;

	if (c->st->file >= 0 && !file_get(c->s, c->st->file)) {
		set_err(c->out, -ENOENT);
		return;
	}
	if (c->oom && !model_int && c->limit == 0) {
		set_err(c->out, -ENOMEM);
		return;
	}
	r = spec_do_mmap(c->s, mm, c->st, c->a, c->limit, &addr);
	if (r) {
		set_err(c->out, r);
		return;
	}
	if (c->oom && !model_int) {
		set_err(c->out, -ENOMEM);
		return;
	}
	c->out->kind = SCN_RES_INT;
	c->out->value = (int64_t)addr;
}

/* madvise, and pageout's range checks (docs/semantics.md, "madvise"). */
static void exec_madvise(struct exec_ctx *c, struct spec_mm *mm)
{
	enum scn_advice adv = c->st->op == SCN_OP_PAGEOUT ? SCN_ADV_PAGEOUT : c->st->advice;
	bool populate = adv == SCN_ADV_POPULATE_READ || adv == SCN_ADV_POPULATE_WRITE;
	bool unpredictable = false;
	int r;

	if (c->oom && !populate) {
		/* madvise_vma_behavior turns a split's ENOMEM into EAGAIN */
		set_err(c->out, adv == SCN_ADV_HUGEPAGE || adv == SCN_ADV_NOHUGEPAGE ? -EAGAIN : -ENOMEM);
		return;
	}
	r = spec_do_madvise(mm, c->a->addr, c->a->len, adv, c->limit, &unpredictable);
	if (unpredictable) {
		c->out->kind = SCN_RES_OK;
		c->out->unpredictable = true;
		return;
	}
	set_result(c->out, c->oom ? -ENOMEM : r);
}

/* mremap (docs/semantics.md, "mremap"): the new address, or an errno. */
static void exec_mremap(struct exec_ctx *c, struct spec_mm *mm)
{
	uint64_t addr;
	int r;

	if (c->oom) {
		set_err(c->out, -ENOMEM);
		return;
	}
	r = spec_do_mremap(c->s, mm, c->st, c->a, c->model, &addr);
	if (r) {
		set_err(c->out, r);
		return;
	}
	c->out->kind = SCN_RES_INT;
	c->out->value = (int64_t)addr;
}

/* Statements that act through one existing process. */
static void exec_in_process(struct exec_ctx *c)
{
	struct spec_mm *mm = proc_get(c->s, c->st->proc);

	if (!mm) {
		set_err(c->out, -ESRCH);
		return;
	}
	switch (c->st->op) {
	case SCN_OP_MMAP:
		exec_mmap(c, mm);
		return;
	case SCN_OP_MUNMAP:
		if (c->oom) {
			set_err(c->out, -ENOMEM);
			return;
		}
		set_result(c->out, spec_do_munmap(mm, c->a->addr, c->a->len));
		return;
	case SCN_OP_MPROTECT:
		if (c->oom) {
			set_err(c->out, -ENOMEM);
			return;
		}
		set_result(c->out, spec_do_mprotect(mm, c->a->addr, c->a->len, c->st->prot));
		return;
	case SCN_OP_MREMAP:
		exec_mremap(c, mm);
		return;
	case SCN_OP_MADVISE:
	case SCN_OP_PAGEOUT:
		exec_madvise(c, mm);
		return;
	case SCN_OP_READ:
	case SCN_OP_WRITE:
		exec_access(c, mm);
		return;
	default:		/* migrate, split: invisible, any documented result */
		c->out->kind = SCN_RES_OK;
		c->out->unpredictable = true;
		return;
	}
}

/*
 * oom_counts - did the model's allocation failure change this statement?
 * Only when it returned ENOMEM (EAGAIN for madvise hugepage and
 * nohugepage, whose split failed), or for mmap (populate stops quietly)
 * and pread (a short read).  Other failures were absorbed, as the kernel
 * absorbs them (readahead, fault-around): the statement is predicted as
 * if memory had sufficed.
 */
static bool oom_counts(const struct scn_stmt *st, const struct scn_outcome *model)
{
	if (!model || !model->alloc_failed)
		return false;
	if (model->kind == SCN_RES_ERRNO && model->err == ENOMEM)
		return true;
	if (model->kind == SCN_RES_ERRNO && model->err == EAGAIN && st->op == SCN_OP_MADVISE &&
	    (st->advice == SCN_ADV_HUGEPAGE || st->advice == SCN_ADV_NOHUGEPAGE))
		return true;	/* a split ran out of memory: madvise says EAGAIN */
	return st->op == SCN_OP_MMAP || st->op == SCN_OP_PREAD;
}

void spec_exec(struct spec *s, const struct scn_stmt *st, const struct scn_args *args,
	       const struct scn_outcome *model, struct scn_outcome *out)
{
	bool oom = oom_counts(st, model);
	struct exec_ctx c = {
		.s = s, .st = st, .a = args, .model = model, .out = out,
		.oom = oom,
		.limit = oom ? model->progress : UINT64_MAX,
	};

	memset(out, 0, sizeof(*out));
	out->kind = SCN_RES_OK;
	switch (st->op) {
	case SCN_OP_PROC:
	case SCN_OP_FORK:
	case SCN_OP_EXIT:
	case SCN_OP_EXEC:
		exec_process(&c);
		return;
	case SCN_OP_FILE:
	case SCN_OP_PREAD:
	case SCN_OP_PWRITE:
	case SCN_OP_TRUNCATE:
		exec_file(&c);
		return;
	case SCN_OP_MMAP:
	case SCN_OP_MUNMAP:
	case SCN_OP_MPROTECT:
	case SCN_OP_MREMAP:
	case SCN_OP_MADVISE:
	case SCN_OP_READ:
	case SCN_OP_WRITE:
	case SCN_OP_PAGEOUT:
	case SCN_OP_MIGRATE:
	case SCN_OP_SPLIT:
		exec_in_process(&c);
		return;
	case SCN_OP_CHECK:
	case SCN_OP_INJECT:	/* ok; the failures it causes are the model's to report */
		return;
	default:
		/* compact, reclaim: invisible; pin*, unpin: not modelled yet */
		out->unpredictable = true;
		return;
	}
}
