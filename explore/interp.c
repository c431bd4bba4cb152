/*
 * explore/interp.c - one scenario statement against the model, and its
 * judgement against `==` and the reference semantics
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore/interp.h"
#include "lib/util.h"
#include "mm/internal.h"
#include "spec/spec.h"

/* `inject SITE` names mm's allocation sites in their order (ex_exec_stmt). */
_Static_assert((int)SCN_SITE_PAGE == (int)VM_ALLOC_PAGE && (int)SCN_SITE_PGTABLE == (int)VM_ALLOC_PGTABLE &&
	       (int)SCN_SITE_VMA == (int)VM_ALLOC_VMA && (int)SCN_SITE_ANON_VMA == (int)VM_ALLOC_ANON_VMA &&
	       (int)SCN_SITE_AVC == (int)VM_ALLOC_AVC && (int)SCN_SITE_SWAP_SLOT == (int)VM_ALLOC_SWAP_SLOT &&
	       (int)SCN_NR_SITES == (int)VM_NR_INJECT_SITES, "inject sites differ from allocation sites");

void ex_variants_for(const struct scenario *scn, const struct scn_setting *overrides, int nr,
		     struct vm_variants *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < scn->nr_variants; i++)
		out->value[scn->variants[i].key] = scn->variants[i].value;
	for (int i = 0; i < nr; i++)
		out->value[overrides[i].key] = overrides[i].value;
}

int ex_world_init(struct ex_world *w, const struct scenario *scn, const struct vm_variants *v)
{
	struct vm_config config = {
		.frames = scn->config.frames,
		.nodes = scn->config.nodes,
		.swap = scn->config.swap,
		.thp = (int)scn->config.thp,
	};

	memset(w, 0, sizeof(*w));
	w->scn = scn;
	w->variants = *v;
	w->machine = machine_create(&config, v);
	machine = w->machine;
	w->spec = spec_create(scn);
	w->procs = xcalloc((size_t)scn->nr_syms + 1, sizeof(*w->procs));
	w->files = xcalloc((size_t)scn->nr_syms + 1, sizeof(*w->files));
	w->values = xcalloc((size_t)scn->nr_syms + 1, sizeof(*w->values));
	w->bound = xcalloc((size_t)scn->nr_syms + 1, sizeof(*w->bound));
	w->nr_threads = scn->nr_threads + 2;
	w->threads = xcalloc((size_t)w->nr_threads, sizeof(*w->threads));
	ex_thread_init(&w->threads[0], 0, "init");
	for (int i = 0; i < scn->nr_threads; i++)
		ex_thread_init(&w->threads[i + 1], i + 1, scn->threads[i].name);
	ex_thread_init(&w->threads[w->nr_threads - 1], w->nr_threads - 1, "final");
	return 0;
}

static void world_free(struct ex_world *w)
{
	spec_destroy(w->spec);
	free(w->procs);
	free(w->files);
	free(w->values);
	free(w->bound);
	free(w->threads);
	if (machine == w->machine)
		machine = NULL;
	w->machine = NULL;
}

void ex_world_abandon(struct ex_world *w)
{
	for (int i = 0; i < w->nr_threads; i++)
		ex_thread_forget_locks(&w->threads[i]);
	machine_destroy(w->machine);
	world_free(w);
}

/**
 * ex_world_finish - end of a run: every remaining process exits, clean page
 * cache is dropped, and (with @check) the leak check runs; then the
 * scenario's files are closed, after which nothing at all may remain.
 */
void ex_world_finish(struct ex_world *w, bool check)
{
	const struct scenario *scn = w->scn;
	struct ex_thread teardown;

	ex_thread_init(&teardown, w->nr_threads, "teardown");
	ex_set_current(&teardown);
	for (int s = 0; s < scn->nr_syms; s++)
		if (w->procs[s]) {
			do_exit(w->procs[s]);
			w->procs[s] = NULL;
		}
	drop_pagecache();
	if (check)
		vm_check_leaks();
	for (int s = 0; s < scn->nr_syms; s++)
		if (w->files[s]) {
			fput(w->files[s]);
			w->files[s] = NULL;
		}
	if (check && (machine->frames_in_use || machine->live[VM_ALLOC_INODE] ||
		      machine->live[VM_ALLOC_DISK] || machine->live[VM_ALLOC_XA_NODE]))
		ex_report(EX_LEAK, NULL,
			  "after the files were closed: %lu frames, %ld inodes, %ld disk blocks, %ld xarray nodes remain",
			  machine->frames_in_use, machine->live[VM_ALLOC_INODE],
			  machine->live[VM_ALLOC_DISK], machine->live[VM_ALLOC_XA_NODE]);
	ex_set_current(NULL);
	machine_destroy(w->machine);
	world_free(w);
}

int ex_sequential_order(struct ex_world *w, const struct scn_section **sections,
			struct ex_thread **threads, int *total)
{
	const struct scenario *scn = w->scn;
	int n = 0;

	sections[n] = &scn->init;
	threads[n++] = &w->threads[0];
	for (int i = 0; i < scn->nr_threads; i++) {
		sections[n] = &scn->threads[i];
		threads[n++] = &w->threads[i + 1];
	}
	sections[n] = &scn->final;
	threads[n++] = &w->threads[w->nr_threads - 1];
	*total = 0;
	for (int s = 0; s < n; s++)
		*total += sections[s]->nr_stmts;
	return n;
}

static void finish_checked(void *arg)
{
	ex_world_finish(arg, true);
}

bool ex_world_finish_checked(struct ex_sink *sink, struct ex_world *w)
{
	sink->stmt_where = "end of run";
	if (ex_protected_call(sink, finish_checked, w))
		return true;
	ex_world_abandon(w);
	return false;
}

/* ------------------------------------------------------------------ */
/* arguments */

static bool eval(const uint64_t *values, const bool *bound, const struct scn_expr *e, uint64_t *v)
{
	if (!e->present) {
		*v = 0;
		return true;
	}
	if (e->sym >= 0 && !bound[e->sym])
		return false;
	*v = (e->sym >= 0 ? values[e->sym] : 0) + (uint64_t)e->value;
	return true;
}

bool ex_eval_args(const uint64_t *values, const bool *bound, const struct scn_stmt *st,
		  struct scn_args *a)
{
	uint64_t node;

	memset(a, 0, sizeof(*a));
	a->addr_any = st->op == SCN_OP_MMAP && !st->addr.present;
	a->node = st->node.present ? 0 : -1;
	a->reclaim_n = UINT64_MAX;
	if (!eval(values, bound, &st->addr, &a->addr) || !eval(values, bound, &st->len, &a->len) ||
	    !eval(values, bound, &st->newlen, &a->newlen) ||
	    !eval(values, bound, &st->newaddr, &a->newaddr) ||
	    !eval(values, bound, &st->off, &a->off) ||
	    !eval(values, bound, &st->handle, &a->handle) ||
	    !eval(values, bound, &st->node, &node))
		return false;
	if (st->node.present)
		a->node = (int64_t)node;
	if (st->op == SCN_OP_RECLAIM && st->len.present)
		a->reclaim_n = a->len;
	return true;
}

/* ------------------------------------------------------------------ */
/* outcomes */

static void out_err(struct scn_outcome *o, long err)
{
	if (err >= 0) {
		o->kind = SCN_RES_OK;
	} else {
		o->kind = SCN_RES_ERRNO;
		o->err = (int)-err;
	}
}

static void out_int(struct scn_outcome *o, long v)
{
	if (v < 0 && v > -4096) {
		out_err(o, v);
		return;
	}
	o->kind = SCN_RES_INT;
	o->value = v;
}

static void out_uaccess(struct scn_outcome *o, enum uaccess_fault f)
{
	switch (f) {
	case UA_OK:
		o->kind = SCN_RES_OK;
		break;
	case UA_SIGSEGV:
		o->kind = SCN_RES_SIGNAL;
		o->sig = SIGSEGV;
		break;
	case UA_SIGBUS:
		o->kind = SCN_RES_SIGNAL;
		o->sig = SIGBUS;
		break;
	case UA_ENOMEM:
		out_err(o, -ENOMEM);
		break;
	}
}

static void user_buf_of(const struct scn_data *d, struct user_buf *b)
{
	b->bytes = d->kind == SCN_DATA_BYTES ? d->bytes : NULL;
	b->fill = d->fill;
	b->len = d->len;
}

static void do_read(struct mm_struct *mm, const struct scn_args *a, struct scn_outcome *o)
{
	unsigned char *buf = xmalloc(a->len ? a->len : 1);
	unsigned long done;
	enum uaccess_fault f;

	o->data = buf;		/* owned by @o even if the run is abandoned mid-read */
	f = uaccess_read(mm, a->addr, buf, a->len, &done);
	if (f) {
		o->data = NULL;
		free(buf);
		out_uaccess(o, f);
		o->progress = done;
		return;
	}
	o->kind = SCN_RES_DATA;
	o->data = buf;
	o->len = a->len;
}

static void do_pread(struct file *file, const struct scn_args *a, struct scn_outcome *o)
{
	unsigned long long size = (unsigned long long)i_size_read(file->f_inode);
	unsigned long len = a->off < size ? (unsigned long)MIN(a->len, size - a->off) : 0;
	unsigned char *buf = xmalloc(len ? len : 1);
	long n;

	o->data = buf;		/* owned by @o even if the run is abandoned mid-read */
	n = kernel_read(file, buf, len, a->len, a->off);
	if (n < 0) {
		o->data = NULL;
		free(buf);
		out_err(o, n);
		return;
	}
	o->kind = SCN_RES_DATA;
	o->data = buf;
	o->len = (uint64_t)n;
}

static char *file_name_of(const struct ex_world *w, int sym)
{
	return w->scn->syms[sym].name;
}

/**
 * ex_exec_stmt - run @st on the model with the current thread set; fills
 * @args (evaluated) and @out.
 * Context: any model lock may be taken and released; none is held after.
 */
enum ex_status ex_exec_stmt(struct ex_world *w, const struct scn_stmt *st, struct scn_args *args,
			    struct scn_outcome *out)
{
	struct task_struct *task = st->proc >= 0 ? w->procs[st->proc] : NULL;
	struct mm_struct *mm = task ? task->mm : NULL;
	struct file *file = st->file >= 0 ? w->files[st->file] : NULL;
	struct user_buf ub;
	unsigned long progress = 0;
	long ret;

	memset(out, 0, sizeof(*out));
	if (!scn_op_implemented(st->op))
		return EX_UNIMPLEMENTED;
	if (!ex_eval_args(w->values, w->bound, st, args))
		return EX_UNBOUND;
	vm_alloc_failed_clear();
	if (st->proc >= 0 && st->op != SCN_OP_PROC && !task) {
		out_err(out, -ESRCH);
		return EX_OK;
	}
	if (st->file >= 0 && st->op != SCN_OP_FILE && !file) {
		out_err(out, -ENOENT);	/* its `file` statement failed */
		return EX_OK;
	}
	switch (st->op) {
	case SCN_OP_PROC:
		w->procs[st->proc] = task_create();
		out_err(out, w->procs[st->proc] ? 0 : -ENOMEM);
		break;
	case SCN_OP_FORK: {
		struct task_struct *child = NULL;

		ret = copy_process(task, &child);
		w->procs[st->proc2] = ret ? NULL : child;
		out_err(out, ret);
		break;
	}
	case SCN_OP_EXIT:
		do_exit(task);
		w->procs[st->proc] = NULL;
		out_err(out, 0);
		break;
	case SCN_OP_EXEC: {
		bool killed;

		ret = do_execve_mm(task, args->len, &killed);
		if (killed)
			w->procs[st->proc] = NULL;	/* later statements on P: ESRCH */
		progress = killed;	/* for spec/: past the point of no return, the old mm is gone */
		if (ret < 0)
			out_err(out, ret);
		else
			out_int(out, ret);
		break;
	}
	case SCN_OP_FILE:
	{
		struct file *f = file_create(file_name_of(w, st->file), args->len,
					     w->scn->config.files == SCN_FILES_MEMFD);

		w->files[st->file] = IS_ERR_OR_NULL(f) ? NULL : f;
		out_err(out, !f ? -ENOMEM : IS_ERR(f) ? PTR_ERR(f) : 0);
		break;
	}
	case SCN_OP_MMAP:
		ret = sys_mmap(mm, args->addr_any ? 0 : args->addr, args->len, (unsigned long)scn_linux_prot(st->prot),
			       (unsigned long)scn_linux_map_flags(st->flags), file, file ? args->off : 0, &progress);
		out_int(out, ret);
		break;
	case SCN_OP_MUNMAP:
		out_err(out, sys_munmap(mm, args->addr, args->len));
		break;
	case SCN_OP_MPROTECT:
		out_err(out, sys_mprotect(mm, args->addr, args->len, (unsigned long)scn_linux_prot(st->prot)));
		break;
	case SCN_OP_MREMAP:
		ret = sys_mremap(mm, args->addr, args->len, args->newlen,
				 (st->flags & SCN_MREMAP_MAYMOVE ? MREMAP_MAYMOVE : 0) |
				 (st->flags & SCN_MREMAP_FIXED ? MREMAP_FIXED : 0) |
				 (st->flags & SCN_MREMAP_DONTUNMAP ? MREMAP_DONTUNMAP : 0),
				 args->newaddr);
		out_int(out, ret);
		break;
	case SCN_OP_MADVISE:
		out_err(out, sys_madvise(mm, args->addr, args->len, scn_linux_advice(st->advice), &progress));
		break;
	case SCN_OP_PAGEOUT:
		out_err(out, sys_madvise(mm, args->addr, args->len, MADV_PAGEOUT, &progress));
		break;
	case SCN_OP_MIGRATE:
		out_err(out, sys_move_pages(mm, args->addr, (int)args->node));
		break;
	case SCN_OP_COMPACT:
		out_err(out, compact_nodes((int)args->node));
		break;
	case SCN_OP_WRITE:
		user_buf_of(&st->data, &ub);
		out_uaccess(out, uaccess_write(mm, args->addr, &ub, &progress));
		break;
	case SCN_OP_READ:
		do_read(mm, args, out);
		progress = out->progress;
		break;
	case SCN_OP_PWRITE:
		user_buf_of(&st->data, &ub);
		ret = kernel_write(file, &ub, args->off);
		if (ret >= 0 && (unsigned long)ret < ub.len && vm_alloc_failed()) {
			progress = (unsigned long)ret;	/* a short write: memory ran out */
			ret = -ENOMEM;
		}
		out_err(out, ret);
		break;
	case SCN_OP_PREAD:
		do_pread(file, args, out);
		break;
	case SCN_OP_TRUNCATE:
		/* truncated-mapped counts from its return (other threads read this) */
		__atomic_fetch_add(&file->f_inode->truncating, 1, __ATOMIC_RELAXED);
		ret = do_truncate(file, args->len);
		__atomic_fetch_sub(&file->f_inode->truncating, 1, __ATOMIC_RELAXED);
		out_err(out, ret);
		break;
	case SCN_OP_CHECK:
		vm_check_step(w->in_flight <= 1);	/* quiescent unless another statement is running */
		out_err(out, 0);
		break;
	case SCN_OP_INJECT:
		/* the language's sites are mm's first allocation sites, in order */
		vm_inject((enum vm_alloc_site)st->site, (unsigned long)st->inject_after,
			  (unsigned long)st->inject_times);
		out_err(out, 0);
		break;
	default:
		return EX_UNIMPLEMENTED;
	}
	out->alloc_failed = vm_alloc_failed();
	out->progress = progress;
	return EX_OK;
}

/* ------------------------------------------------------------------ */
/* judgement */

static bool is_success(const struct scn_outcome *o)
{
	return o->kind == SCN_RES_OK || o->kind == SCN_RES_INT || o->kind == SCN_RES_DATA;
}

static bool result_matches(const uint64_t *values, const bool *bound, const struct scn_result *r,
			   const struct scn_outcome *o)
{
	uint64_t v;

	switch (r->kind) {
	case SCN_RES_OK:
		return is_success(o);	/* ok: any success, with or without a value */
	case SCN_RES_INT:
		return o->kind == SCN_RES_INT && eval(values, bound, &r->expr, &v) &&
		       (uint64_t)o->value == v;
	case SCN_RES_ERRNO:
		return o->kind == SCN_RES_ERRNO && o->err == r->err;
	case SCN_RES_SIGNAL:
		return o->kind == SCN_RES_SIGNAL && o->sig == r->sig;
	case SCN_RES_DATA:
		if (o->kind != SCN_RES_DATA || o->len != r->data.len)
			return false;
		for (uint64_t i = 0; i < o->len; i++)
			if (o->data[i] != scn_data_byte(&r->data, i))
				return false;
		return true;
	}
	return false;
}

bool ex_expectation_holds(const uint64_t *values, const bool *bound, const struct scn_stmt *st,
			  const struct scn_outcome *o)
{
	if (!st->nr_results)
		return scn_op_is_kernel(st->op) || is_success(o);
	for (int i = 0; i < st->nr_results; i++)
		if (result_matches(values, bound, &st->results[i], o))
			return true;
	return false;
}

enum ex_kind ex_judge_stmt(struct ex_world *w, const struct scn_stmt *st,
			   const struct scn_args *args, const struct scn_outcome *out,
			   unsigned how, char *predicted, size_t predicted_size)
{
	struct scn_outcome want;
	enum ex_kind verdict = EX_KIND_NONE;
	char got[160], exp[160];

	predicted[0] = '\0';
	spec_exec(w->spec, st, args, out, &want);
	if (how & EX_JUDGE_SHOW_SPEC) {
		scn_outcome_format(&want, predicted, predicted_size);
		if (want.unpredictable)
			snprintf(predicted + strlen(predicted), predicted_size - strlen(predicted),
				 " (not predicted)");
	}
	if ((how & EX_JUDGE_SPEC) && !want.unpredictable && !scn_op_is_kernel(st->op) &&
	    !scn_outcome_equal(&want, out)) {
		scn_outcome_format(out, got, sizeof(got));
		scn_outcome_format(&want, exp, sizeof(exp));
		snprintf(predicted, predicted_size, "%s", exp);
		ex_report(EX_DATA, NULL, "%s: the model returned %s, the reference semantics %s",
			  st->text, got, exp);
		verdict = EX_DATA;
	}
	scn_outcome_free(&want);
	if ((how & EX_JUDGE_EXPECT) && !ex_expectation_holds(w->values, w->bound, st, out)) {
		scn_outcome_format(out, got, sizeof(got));
		if (st->nr_results)
			ex_report(EX_EXPECT, NULL, "%s: returned %s, not what == expects", st->text, got);
		else
			ex_report(EX_EXPECT, NULL, "%s: failed with %s (no == allows it)", st->text, got);
		if (verdict == EX_KIND_NONE)
			verdict = EX_EXPECT;
	}
	if (st->bind >= 0) {
		/* a failed statement leaves its name without a value */
		w->bound[st->bind] = out->kind == SCN_RES_INT;
		w->values[st->bind] = out->kind == SCN_RES_INT ? (uint64_t)out->value : 0;
	}
	return verdict;
}
