/*
 * tests/unit/test_differential.c - random statement sequences on mm/ and
 * spec/, with every invariant after every statement
 *
 * Each sequence (mmap, munmap, mprotect, mremap, madvise, reads and
 * writes, file I/O, fork, exit) is generated statement by statement against the running
 * model (so a statement only names processes that were created and values
 * that are bound), executed, compared with the reference semantics
 * (`data`), and followed by the invariant checker; at the end every
 * process exits and the leak check runs.  Nothing is expected of results:
 * random arguments fail often, and failing the same way as spec/ is the
 * point.  A failing sequence is shrunk (statements removed while the same
 * kind of violation remains) and written as a runnable scenario to
 * build/differential-SEED.scn.
 *
 * A quarter of the sequences run on a machine of a few dozen frames, so
 * that faults, populate, pwrite and fork run out of memory and the
 * reference semantics must follow the model's partial progress.
 *
 * Knobs: --seed S (first seed), --param sequences=N (default 500),
 * --param length=L (default 200 statements).
 */
#include <setjmp.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "explore/interp.h"
#include "lib/util.h"
#include "mm/internal.h"
#include "spec/spec.h"
#include "tests/test.h"

#define NR_PROCS 12
#define NR_FILES 3
#define NR_VALUES 10
#define SYM_PROC(i) (i)
#define SYM_FILE(i) (NR_PROCS + (i))
#define SYM_VALUE(i) (NR_PROCS + NR_FILES + (i))
#define NR_SYMS (NR_PROCS + NR_FILES + NR_VALUES)

struct gen {
	struct prng rng;
	struct scenario scn;
	struct scn_stmt *stmts;
	int nr, cap;
	int procs_used, next_value;
	bool file_made[NR_FILES];
};

static uint64_t rnd(struct gen *g, uint64_t n)
{
	return prng_below(&g->rng, n);
}

static bool chance(struct gen *g, int percent)
{
	return (int)rnd(g, 100) < percent;
}

static void scenario_init(struct scenario *scn)
{
	memset(scn, 0, sizeof(*scn));
	scn->path = xstrdup("differential.scn");
	scn->name = xstrdup("differential");
	scn->config.frames = 8192;
	scn->config.nodes = 2;
	scn->config.thp = SCN_THP_MADVISE;
	scn->init.name = xstrdup("init");
	scn->init.sym = -1;
	scn->final.name = xstrdup("final");
	scn->final.sym = -1;
	scn->nr_syms = NR_SYMS;
	scn->syms = xcalloc(NR_SYMS, sizeof(*scn->syms));
	for (int i = 0; i < NR_PROCS; i++) {
		scn->syms[SYM_PROC(i)].name = xasprintf("P%d", i);
		scn->syms[SYM_PROC(i)].kind = SCN_SYM_PROC;
	}
	for (int i = 0; i < NR_FILES; i++) {
		scn->syms[SYM_FILE(i)].name = xasprintf("F%d", i);
		scn->syms[SYM_FILE(i)].kind = SCN_SYM_FILE;
	}
	for (int i = 0; i < NR_VALUES; i++) {
		scn->syms[SYM_VALUE(i)].name = xasprintf("v%d", i);
		scn->syms[SYM_VALUE(i)].kind = SCN_SYM_VALUE;
	}
}

static void scenario_release(struct scenario *scn)
{
	for (int i = 0; i < NR_SYMS; i++)
		free(scn->syms[i].name);
	free(scn->syms);
	free(scn->path);
	free(scn->name);
	free(scn->init.name);
	free(scn->final.name);
}

static void stmt_release(struct scn_stmt *st)
{
	free(st->text);
	free(st->data.bytes);
}

/* ------------------------------------------------------------------ */
/* text, for reports and the reproducer */

static void expr_text(const struct gen *g, const struct scn_expr *e, struct sbuf *sb)
{
	if (e->sym < 0) {
		sbuf_printf(sb, "%#llx", (unsigned long long)e->value);
		return;
	}
	sbuf_puts(sb, g->scn.syms[e->sym].name);
	if (e->value > 0)
		sbuf_printf(sb, "+%#llx", (unsigned long long)e->value);
	else if (e->value < 0)
		sbuf_printf(sb, "-%#llx", (unsigned long long)-e->value);
}

static void data_text(const struct scn_data *d, struct sbuf *sb)
{
	if (d->kind == SCN_DATA_FILL)
		sbuf_printf(sb, "0x%02x*%llu", d->fill, (unsigned long long)d->len);
	else {
		sbuf_putc(sb, '"');
		for (uint64_t i = 0; i < d->len; i++)
			sbuf_putc(sb, (char)d->bytes[i]);
		sbuf_putc(sb, '"');
	}
}

static const char *const prot_names[8] = { "none", "r", "?", "rw", "?", "rx", "?", "rwx" };

static char *stmt_text(const struct gen *g, const struct scn_stmt *st)
{
	const char *sym = (st->proc >= 0) ? g->scn.syms[st->proc].name : "";
	struct sbuf sb;

	sbuf_init(&sb);
	if (st->bind >= 0)
		sbuf_printf(&sb, "%s = ", g->scn.syms[st->bind].name);
	sbuf_puts(&sb, scn_op_name(st->op));
	switch (st->op) {
	case SCN_OP_PROC:
	case SCN_OP_EXIT:
		sbuf_printf(&sb, " %s", sym);
		break;
	case SCN_OP_FORK:
		sbuf_printf(&sb, " %s %s", sym, g->scn.syms[st->proc2].name);
		break;
	case SCN_OP_FILE:
	case SCN_OP_TRUNCATE:
		sbuf_printf(&sb, " %s ", g->scn.syms[st->file].name);
		expr_text(g, &st->len, &sb);
		break;
	case SCN_OP_MMAP:
		sbuf_printf(&sb, " %s ", sym);
		if (st->addr.present)
			expr_text(g, &st->addr, &sb);
		else
			sbuf_puts(&sb, "any");
		sbuf_putc(&sb, ' ');
		expr_text(g, &st->len, &sb);
		sbuf_printf(&sb, " %s %s%s%s%s%s", prot_names[st->prot],
			    st->flags & SCN_MAP_SHARED ? "shared" : "private",
			    st->flags & SCN_MAP_FIXED ? " fixed" : "",
			    st->flags & SCN_MAP_FIXED_NOREPLACE ? " fixed_noreplace" : "",
			    st->flags & SCN_MAP_POPULATE ? " populate" : "",
			    st->flags & SCN_MAP_GROWSDOWN ? " growsdown" : "");
		if (st->file >= 0) {
			sbuf_printf(&sb, " file %s ", g->scn.syms[st->file].name);
			expr_text(g, &st->off, &sb);
		}
		break;
	case SCN_OP_MREMAP:
		sbuf_printf(&sb, " %s ", sym);
		expr_text(g, &st->addr, &sb);
		sbuf_putc(&sb, ' ');
		expr_text(g, &st->len, &sb);
		sbuf_putc(&sb, ' ');
		expr_text(g, &st->newlen, &sb);
		if (st->flags & SCN_MREMAP_MAYMOVE)
			sbuf_puts(&sb, " maymove");
		if (st->flags & SCN_MREMAP_FIXED) {
			sbuf_puts(&sb, " fixed ");
			expr_text(g, &st->newaddr, &sb);
		}
		if (st->flags & SCN_MREMAP_DONTUNMAP)
			sbuf_puts(&sb, " dontunmap");
		break;
	case SCN_OP_MUNMAP:
	case SCN_OP_MPROTECT:
	case SCN_OP_MADVISE:
	case SCN_OP_READ:
	case SCN_OP_PAGEOUT:
		sbuf_printf(&sb, " %s ", sym);
		expr_text(g, &st->addr, &sb);
		sbuf_putc(&sb, ' ');
		expr_text(g, &st->len, &sb);
		if (st->op == SCN_OP_MPROTECT)
			sbuf_printf(&sb, " %s", prot_names[st->prot]);
		if (st->op == SCN_OP_MADVISE)
			sbuf_printf(&sb, " %s", scn_advice_name(st->advice));
		break;
	case SCN_OP_WRITE:
		sbuf_printf(&sb, " %s ", sym);
		expr_text(g, &st->addr, &sb);
		sbuf_putc(&sb, ' ');
		data_text(&st->data, &sb);
		break;
	case SCN_OP_PWRITE:
		sbuf_printf(&sb, " %s ", g->scn.syms[st->file].name);
		expr_text(g, &st->off, &sb);
		sbuf_putc(&sb, ' ');
		data_text(&st->data, &sb);
		break;
	case SCN_OP_PREAD:
		sbuf_printf(&sb, " %s ", g->scn.syms[st->file].name);
		expr_text(g, &st->off, &sb);
		sbuf_putc(&sb, ' ');
		expr_text(g, &st->len, &sb);
		break;
	default:
		break;
	}
	return sbuf_detach(&sb);
}

/* ------------------------------------------------------------------ */
/* generation, guided by the running world */

static struct scn_expr lit(uint64_t v)
{
	return (struct scn_expr){ .present = true, .sym = -1, .value = (int64_t)v };
}

static int alive_proc(struct gen *g, const struct ex_world *w)
{
	int alive[NR_PROCS], n = 0;

	for (int i = 0; i < g->procs_used; i++)
		if (w->procs[SYM_PROC(i)])
			alive[n++] = i;
	if (!n || chance(g, 3))
		return g->procs_used ? SYM_PROC((int)rnd(g, (uint64_t)g->procs_used)) : -1;
	return SYM_PROC(alive[rnd(g, (uint64_t)n)]);
}

/* An address: a bound value plus a few pages, or a fixed spot. */
static struct scn_expr gen_addr(struct gen *g, const struct ex_world *w)
{
	int bound[NR_VALUES], n = 0;

	for (int i = 0; i < NR_VALUES; i++)
		if (w->bound[SYM_VALUE(i)])
			bound[n++] = i;
	if (n && !chance(g, 10)) {
		struct scn_expr e = { .present = true, .sym = SYM_VALUE(bound[rnd(g, (uint64_t)n)]) };

		e.value = ((int64_t)rnd(g, 12) - 2) * 4096;
		if (chance(g, 5))
			e.value += (int64_t)rnd(g, 4096);
		return e;
	}
	if (chance(g, 50))
		return lit(0x7ffff7f00000ULL + rnd(g, 0x100) * 4096);
	return lit(0x10000000ULL + rnd(g, 64) * 4096 + (chance(g, 3) ? rnd(g, 4096) : 0));
}

static uint64_t gen_len(struct gen *g)
{
	uint64_t len = (1 + rnd(g, 8)) * 4096;

	if (chance(g, 5))
		len = 2UL << 20;
	if (chance(g, 5))
		len += 1 + rnd(g, 4095);
	if (chance(g, 1))
		len = 0;
	return len;
}

static void gen_data(struct gen *g, struct scn_data *d)
{
	if (chance(g, 50)) {
		d->kind = SCN_DATA_FILL;
		d->fill = (unsigned char)('a' + rnd(g, 26));
		d->len = 1 + rnd(g, chance(g, 30) ? 3 * 4096 : 64);
	} else {
		d->kind = SCN_DATA_BYTES;
		d->len = 1 + rnd(g, 16);
		d->bytes = xmalloc(d->len);
		for (uint64_t i = 0; i < d->len; i++)
			d->bytes[i] = (unsigned char)('A' + rnd(g, 26));
	}
}

static int existing_file(struct gen *g)
{
	int made[NR_FILES], n = 0;

	for (int i = 0; i < NR_FILES; i++)
		if (g->file_made[i])
			made[n++] = i;
	return n ? SYM_FILE(made[rnd(g, (uint64_t)n)]) : -1;
}

static void gen_mmap(struct gen *g, const struct ex_world *w, struct scn_stmt *st)
{
	uint64_t r = rnd(g, 100);

	st->op = SCN_OP_MMAP;
	st->bind = SYM_VALUE(g->next_value);
	g->next_value = (g->next_value + 1) % NR_VALUES;
	if (r < 50)
		st->addr.present = false;
	else
		st->addr = gen_addr(g, w);
	if (r >= 70 && r < 90)
		st->flags |= SCN_MAP_FIXED;
	else if (r >= 90)
		st->flags |= SCN_MAP_FIXED_NOREPLACE;
	st->len = lit(gen_len(g));
	st->prot = (int)(rnd(g, 4) == 0 ? 0 : (1 | (rnd(g, 2) ? SCN_PROT_WRITE : 0) |
						(chance(g, 10) ? SCN_PROT_EXEC : 0)));
	st->flags |= chance(g, 35) ? SCN_MAP_SHARED : SCN_MAP_PRIVATE;
	if (chance(g, 15))
		st->flags |= SCN_MAP_POPULATE;
	if (chance(g, 5))
		st->flags |= SCN_MAP_GROWSDOWN;
	if (chance(g, 45) && existing_file(g) >= 0) {
		st->file = existing_file(g);
		st->off = lit(rnd(g, 5) * 4096 + (chance(g, 3) ? 1 : 0));
	}
}

/*
 * mremap: mostly a move or a resize of something mapped (a bound value),
 * sometimes fixed onto another one, sometimes dontunmap or with lengths
 * that fail.
 */
static void gen_mremap(struct gen *g, const struct ex_world *w, struct scn_stmt *st)
{
	st->op = SCN_OP_MREMAP;
	st->bind = SYM_VALUE(g->next_value);
	g->next_value = (g->next_value + 1) % NR_VALUES;
	st->addr = gen_addr(g, w);
	st->len = lit(chance(g, 3) ? 0 : gen_len(g));
	st->newlen = chance(g, 40) ? st->len : lit(gen_len(g));
	if (chance(g, 70))
		st->flags |= SCN_MREMAP_MAYMOVE;
	if (chance(g, 35)) {
		st->flags |= SCN_MREMAP_FIXED;
		st->newaddr = gen_addr(g, w);
	}
	if (chance(g, 12)) {
		st->flags |= SCN_MREMAP_DONTUNMAP;
		if (chance(g, 80))
			st->newlen = st->len;
	}
}

static void gen_stmt(struct gen *g, const struct ex_world *w, struct scn_stmt *st)
{
	uint64_t r = rnd(g, 100);
	int proc = alive_proc(g, w);

	memset(st, 0, sizeof(*st));
	st->bind = st->proc = st->proc2 = st->file = -1;
	st->loc.file = g->scn.path;
	st->loc.line = g->nr + 2;
	st->loc.col = 3;
	st->node.present = false;
	if (proc < 0 || (r < 4 && g->procs_used < NR_PROCS)) {
		st->op = SCN_OP_PROC;
		st->proc = SYM_PROC(g->procs_used++);
		return;
	}
	st->proc = proc;
	if (r < 9 && g->procs_used < NR_PROCS) {
		st->op = SCN_OP_FORK;
		st->proc2 = SYM_PROC(g->procs_used++);
	} else if (r < 11) {
		st->op = SCN_OP_EXIT;
	} else if (r < 15 && !g->file_made[NR_FILES - 1]) {
		int f = 0;

		while (g->file_made[f])
			f++;
		st->op = SCN_OP_FILE;
		st->proc = -1;
		st->file = SYM_FILE(f);
		st->len = lit(rnd(g, 5) * 4096 + (chance(g, 50) ? rnd(g, 4096) : 0));
		g->file_made[f] = true;
	} else if (r < 35) {
		gen_mmap(g, w, st);
	} else if (r < 41) {
		st->op = SCN_OP_MUNMAP;
		st->addr = gen_addr(g, w);
		st->len = lit(gen_len(g));
	} else if (r < 44) {
		gen_mremap(g, w, st);
	} else if (r < 47) {
		st->op = SCN_OP_MPROTECT;
		st->addr = gen_addr(g, w);
		st->len = lit(gen_len(g));
		st->prot = (int)(rnd(g, 4) == 0 ? 0 : (1 | (rnd(g, 2) ? SCN_PROT_WRITE : 0)));
	} else if (r < 55) {
		st->op = SCN_OP_MADVISE;
		st->addr = gen_addr(g, w);
		st->len = lit(gen_len(g));
		st->advice = (enum scn_advice)rnd(g, SCN_NR_ADVICE);
	} else if (r < 71) {
		st->op = SCN_OP_WRITE;
		st->addr = gen_addr(g, w);
		gen_data(g, &st->data);
	} else if (r < 83) {
		st->op = SCN_OP_READ;
		st->addr = gen_addr(g, w);
		st->len = lit(chance(g, 20) ? rnd(g, 3 * 4096) : 1 + rnd(g, 32));
	} else if (r < 98 && existing_file(g) >= 0) {
		st->proc = -1;
		st->file = existing_file(g);
		if (r < 89) {
			st->op = SCN_OP_PWRITE;
			st->off = lit(rnd(g, 6 * 4096));
			gen_data(g, &st->data);
		} else if (r < 93) {
			st->op = SCN_OP_PREAD;
			st->off = lit(rnd(g, 6 * 4096));
			st->len = lit(1 + rnd(g, 2 * 4096));
		} else {
			st->op = SCN_OP_TRUNCATE;
			st->len = lit(rnd(g, 6 * 4096));
		}
	} else if (r < 99) {
		st->op = SCN_OP_PAGEOUT;
		st->addr = gen_addr(g, w);
		st->len = lit(gen_len(g));
	} else {
		st->op = SCN_OP_CHECK;
		st->proc = -1;
	}
}

/* ------------------------------------------------------------------ */
/* running */

struct step {
	struct ex_world *w;
	const struct scn_stmt *st;
	bool ok;
	char *outcome;		/* when recording: the model's outcome as a == RESULT, or NULL */
	bool record;
};

static void step_fn(void *arg)
{
	struct step *s = arg;
	struct scn_args args;
	struct scn_outcome out;
	char got[160], exp[160];

	s->outcome = NULL;
	ex_set_current(&s->w->threads[0]);
	if (ex_exec_stmt(s->w, s->st, &args, &out) != EX_OK) {
		s->ok = false;	/* unbound after a shrink: not the same run any more */
		return;
	}
	ex_thread_check_clean(&s->w->threads[0]);
	ex_judge_stmt(s->w, s->st, &args, &out, EX_JUDGE_SPEC, exp, sizeof(exp));
	if (s->record && out.kind != SCN_RES_DATA && !scn_op_is_kernel(s->st->op)) {
		scn_outcome_format(&out, got, sizeof(got));
		s->outcome = xstrdup(got);
	}
	scn_outcome_free(&out);
	vm_check_all();
	ex_set_current(NULL);
	s->ok = true;
}

static void finish_fn(void *arg)
{
	ex_world_finish(arg, true);
}

/*
 * run_sequence - generate (when @generate) and run a sequence; returns the
 * kind of the first violation (EX_KIND_NONE if none), its message in *msg.
 * With @skip, statement i is left out when skip[i].
 */
static enum ex_kind run_sequence(struct gen *g, int length, bool generate, const bool *skip,
				 char **msg, int *failed_at, char **outcomes)
{
	struct vm_variants v = { 0 };
	struct ex_sink sink;
	struct ex_world w;
	enum ex_kind kind = EX_KIND_NONE;

	ex_sink_init(&sink);
	ex_sink = &sink;
	ex_world_init(&w, &g->scn, &v);
	for (int i = 0; generate ? i < length : i < g->nr; i++) {
		struct step s = { .w = &w, .record = outcomes != NULL };

		if (generate) {
			if (g->nr == g->cap) {
				g->cap = g->cap ? g->cap * 2 : 256;
				g->stmts = xrealloc(g->stmts, (size_t)g->cap * sizeof(*g->stmts));
			}
			gen_stmt(g, &w, &g->stmts[g->nr]);
			g->stmts[g->nr].text = stmt_text(g, &g->stmts[g->nr]);
			g->nr++;
		} else if (skip[i]) {
			continue;
		}
		s.st = &g->stmts[generate ? g->nr - 1 : i];
		if (!ex_protected_call(&sink, step_fn, &s) || sink.first.kind || !s.ok) {
			if (outcomes)
				outcomes[i] = s.outcome;
			kind = s.ok || sink.first.kind ? sink.first.kind : EX_EXPECT;
			*failed_at = generate ? g->nr - 1 : i;
			ex_world_abandon(&w);
			goto out;
		}
		if (outcomes)
			outcomes[i] = s.outcome;
	}
	*failed_at = g->nr;
	if (!ex_protected_call(&sink, finish_fn, &w)) {
		kind = sink.first.kind;
		ex_world_abandon(&w);
		goto out;
	}
	kind = sink.first.kind;
out:
	if (msg)
		*msg = kind && sink.first.message ? xstrdup(sink.first.message) : NULL;
	ex_sink_reset(&sink);
	ex_sink = NULL;
	ex_set_current(NULL);
	return kind;
}

/* Remove statements while the same kind of violation remains; write the rest out. */
static void shrink_and_save(struct gen *g, enum ex_kind kind, int failed_at, uint64_t seed)
{
	bool *skip = xcalloc((size_t)g->nr + 1, sizeof(*skip));
	char **outcomes;
	char path[128];
	FILE *f;
	int at;

	for (int i = failed_at + 1; i < g->nr; i++)
		skip[i] = true;
	for (int i = failed_at - 1; i >= 0; i--) {
		skip[i] = true;
		if (run_sequence(g, 0, false, skip, NULL, &at, NULL) != kind)
			skip[i] = false;
	}
	outcomes = xcalloc((size_t)g->nr + 1, sizeof(*outcomes));
	run_sequence(g, 0, false, skip, NULL, &at, outcomes);
	snprintf(path, sizeof(path), "build/differential-%llu.scn", (unsigned long long)seed);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "# shrunk from the differential test, seed %llu: %s expected\n",
			(unsigned long long)seed, ex_kind_name(kind));
		fprintf(f, "config frames=%llu nodes=%d\ninit\n",
			(unsigned long long)g->scn.config.frames, g->scn.config.nodes);
		for (int i = 0; i < g->nr; i++) {
			if (skip[i])
				continue;
			fprintf(f, "  %s", g->stmts[i].text);
			if (outcomes[i])
				fprintf(f, " == %s", outcomes[i]);
			fputc('\n', f);
		}
		fclose(f);
		t_log("reproducer written to %s", path);
	}
	for (int i = 0; i < g->nr; i++)
		free(outcomes[i]);
	free(outcomes);
	free(skip);
}

static void gen_reset(struct gen *g, uint64_t seed)
{
	/* a quarter of the sequences run out of memory now and then */
	g->scn.config.frames = seed % 4 == 0 ? 24 + seed % 64 : 8192;
	for (int i = 0; i < g->nr; i++)
		stmt_release(&g->stmts[i]);
	g->nr = 0;
	g->procs_used = 0;
	g->next_value = 0;
	memset(g->file_made, 0, sizeof(g->file_made));
	prng_seed(&g->rng, seed);
}

TEST(differential_random_sequences)
{
	long long sequences = t_param("sequences", t_long() ? 10000 : 500);
	long long length = t_param("length", 200);
	struct gen g = { 0 };
	long statements = 0;
	int failures = 0;

	scenario_init(&g.scn);
	for (long long n = 0; n < sequences && failures < 3; n++) {
		/* progress on long runs (display only: no decision depends on time) */
		if (sequences >= 2000 && n && n % 1000 == 0)
			t_log("%lld/%lld sequences, %ld statements, %.0f s", n, sequences, statements,
			      (double)clock() / CLOCKS_PER_SEC);
		uint64_t seed = t_seed() * 1000003ULL + (uint64_t)n;
		char *msg = NULL;
		int failed_at;
		enum ex_kind kind;

		gen_reset(&g, seed);
		kind = run_sequence(&g, (int)length, true, NULL, &msg, &failed_at, NULL);
		statements += g.nr;
		if (kind != EX_KIND_NONE) {
			t_fail(__FILE__, __LINE__, "seed %llu, statement %d (%s): %s: %s",
			       (unsigned long long)seed, failed_at,
			       failed_at < g.nr ? g.stmts[failed_at].text : "end of run",
			       ex_kind_name(kind), msg ? msg : "");
			shrink_and_save(&g, kind, failed_at, seed);
			failures++;
		}
		free(msg);
	}
	t_log("%lld sequences, %ld statements", sequences, statements);
	gen_reset(&g, 0);
	free(g.stmts);
	scenario_release(&g.scn);
}
