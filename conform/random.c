/*
 * conform/random.c - `rmaplab conform --random N`: random sequential
 * scenarios on the kernel and the model, and the smallest one that still
 * differs
 *
 * Scenario i of a run is a function of seed + i alone.  It creates one or
 * two processes and up to two files, maps one to four ranges, then draws
 * 10 to 60 statements from
 * every operation the model implements: mmap (anonymous and file, private
 * and shared, fixed, fixed_noreplace, a hint, any, populate, growsdown),
 * munmap, mprotect, madvise, pageout, reads and writes, pread, pwrite,
 * truncate, fork and exit.  Fixed addresses lie in an arena of 24 pages
 * at 0x200000000000, far from anything an agent's own program maps (and
 * above AddressSanitizer's shadow, which ends at 0x10007fff8000), so
 * mappings overlap, split and merge there; `any` mappings are bound to a
 * name and only accessed inside themselves, by the processes that have
 * them (where each side put them differs, and so what is around them).  Arguments are sometimes bad
 * on purpose (unaligned, empty, past EOF) to compare the errors too.
 *
 * No statement has ==: the comparison is the test.  A difference is
 * shrunk by removing statements (halves, then smaller pieces, down to
 * single statements) while any difference remains; the result is written
 * with every statement's == set to what the kernel said (`ok` for an
 * address mmap chose), so `rmaplab conform FILE` reproduces it and
 * `rmaplab run FILE` shows the model's side.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform/conform.h"
#include "include/rmaplab.h"
#include "lib/util.h"

#define ARENA		0x200000000000ULL
#define ARENA_PAGES	24
#define PG		4096ULL

struct gen {
	struct prng r;
	struct sbuf *sb;		/* statements, one per line */
	int procs[8];			/* live processes: P<n> */
	int nr_procs;
	int next_proc;
	int nr_files;
	uint64_t fsize[2];		/* the files' sizes, as far as the generator knows */
	struct {
		char name[16];
		uint64_t len;
		uint64_t holders;	/* bit n: P<n> has it mapped there */
	} any[16];			/* `any` mappings */
	int nr_any;
	int next_value;
	bool mapped[ARENA_PAGES];	/* a guess (any process): biases accesses */
	struct {
		int file;		/* 1 + the file a fixed mmap put there, or 0 */
		uint64_t index;		/* its page index in the file */
	} fmap[ARENA_PAGES];		/* a guess too: aims accesses at EOF */
};

static uint64_t pick(struct gen *g, uint64_t n)
{
	return prng_below(&g->r, n);
}

static bool chance(struct gen *g, unsigned percent)
{
	return pick(g, 100) < percent;
}

static int proc_of(struct gen *g)
{
	return g->procs[pick(g, (uint64_t)g->nr_procs)];
}

/*
 * An `any` mapping @p has, or -1.  Only its holders may touch it: where
 * the kernel and the model put it differs, and so does what other
 * processes have at that address.
 */
static int any_of(struct gen *g, int p)
{
	int held[ARRAY_SIZE(g->any)], nr = 0;

	for (int i = 0; i < g->nr_any; i++)
		if (g->any[i].holders & (1ULL << p))
			held[nr++] = i;
	return nr ? held[pick(g, (uint64_t)nr)] : -1;
}

static const char *const prots[] = { "none", "r", "rw", "rx", "rwx" };

static const char *prot_of(struct gen *g)
{
	static const unsigned weights[] = { 8, 22, 50, 5, 15 };
	unsigned x = (unsigned)pick(g, 100), i = 0;

	while (x >= weights[i]) {
		x -= weights[i];
		i++;
	}
	return prots[i];
}

/* A size or offset within 300 bytes of @x (growing or shrinking in its page). */
static uint64_t near(struct gen *g, uint64_t x)
{
	uint64_t d = pick(g, 300);

	return chance(g, 50) || x < d ? x + d : x - d;
}

/*
 * An arena page that maps the page of a file holding its EOF, and the
 * offset of EOF in it; -1 if there is none.  Truncate and growth do their
 * subtle things there.
 */
static int eof_page(struct gen *g, uint64_t *eof_off)
{
	int pages[ARENA_PAGES], nr = 0, i;

	for (i = 0; i < ARENA_PAGES; i++) {
		int f = g->fmap[i].file - 1;

		if (f >= 0 && g->fmap[i].index == g->fsize[f] / PG)
			pages[nr++] = i;
	}
	if (!nr)
		return -1;
	i = pages[pick(g, (uint64_t)nr)];
	*eof_off = g->fsize[g->fmap[i].file - 1] % PG;
	return i;
}

/* An address for @p to touch: in the arena, or inside one of its `any` mappings. */
static void addr_of(struct gen *g, int p, char *buf, size_t size, uint64_t *room)
{
	int i = chance(g, 20) ? any_of(g, p) : -1;
	uint64_t eof;

	if (i < 0 && chance(g, 25) && (i = eof_page(g, &eof)) >= 0) {
		uint64_t off = MIN(near(g, eof), PG - 1);

		snprintf(buf, size, "0x%llx", (unsigned long long)(ARENA + (uint64_t)i * PG + off));
		*room = (ARENA_PAGES - (uint64_t)i) * PG - off;
		return;
	}

	if (i >= 0) {
		uint64_t off = pick(g, g->any[i].len);

		snprintf(buf, size, "%s+0x%llx", g->any[i].name, (unsigned long long)off);
		*room = g->any[i].len - off;
		return;
	}
	{
		uint64_t page = pick(g, ARENA_PAGES);
		uint64_t off = chance(g, 50) ? 0 : pick(g, PG);

		if (chance(g, 80)) {	/* prefer a page that is probably mapped */
			int nr = 0, want;

			for (int i = 0; i < ARENA_PAGES; i++)
				nr += g->mapped[i];
			want = nr ? (int)pick(g, (uint64_t)nr) : -1;
			for (int i = 0; i < ARENA_PAGES && want >= 0; i++)
				if (g->mapped[i] && want-- == 0)
					page = (uint64_t)i;
		}

		snprintf(buf, size, "0x%llx", (unsigned long long)(ARENA + page * PG + off));
		*room = (ARENA_PAGES - page) * PG - off;
	}
}

/* A fixed mmap (of file @file - 1 from page @index, or anonymous: 0) or a munmap. */
static void mark(struct gen *g, uint64_t addr, uint64_t len, bool mapped, int file,
		 uint64_t index)
{
	if (addr & (PG - 1))
		return;
	for (uint64_t a = addr; a < addr + len && a < ARENA + ARENA_PAGES * PG; a += PG) {
		g->mapped[(a - ARENA) / PG] = mapped;
		g->fmap[(a - ARENA) / PG].file = mapped ? file : 0;
		g->fmap[(a - ARENA) / PG].index = index + (a - addr) / PG;
	}
}

/* A page-aligned arena address (sometimes not, on purpose). */
static uint64_t arena_page(struct gen *g)
{
	uint64_t a = ARENA + pick(g, ARENA_PAGES) * PG;

	return chance(g, 4) ? a + 1 + pick(g, PG - 1) : a;
}

static uint64_t length_of(struct gen *g)
{
	uint64_t len = (1 + pick(g, 6)) * PG;

	if (chance(g, 3))
		return 0;
	if (chance(g, 8))
		len -= 1 + pick(g, PG - 1);	/* rounded up by the kernel */
	return len;
}

/* The length of the data literal at @p ('c'*N or "text"), as data_of writes them. */
static uint64_t data_len(const char *p)
{
	const char *star = strchr(p, '*');

	if (*p == '\'' && star)
		return strtoull(star + 1, NULL, 10);
	return strchr(p + 1, '"') ? (uint64_t)(strchr(p + 1, '"') - p - 1) : 0;
}

static void data_of(struct gen *g, uint64_t max, struct sbuf *sb)
{
	static const char fills[] = "abcdefghijklmnopqrstuvwxyz";

	if (chance(g, 50) || max < 12) {
		uint64_t n = 1 + pick(g, MIN(max, 2 * PG));

		sbuf_printf(sb, "'%c'*%llu", fills[pick(g, 26)], (unsigned long long)n);
	} else {
		sbuf_printf(sb, "\"v%llu-%c\"", (unsigned long long)pick(g, 100000),
			    fills[pick(g, 26)]);
	}
}

static void gen_mmap(struct gen *g)
{
	int p = proc_of(g);
	bool file = g->nr_files && chance(g, 60);
	bool shared = chance(g, 40);
	unsigned how = (unsigned)pick(g, 100);
	uint64_t len = length_of(g);
	int f = file ? (int)pick(g, (uint64_t)g->nr_files) : -1;
	uint64_t off = pick(g, 6) * PG;

	if (file && g->fsize[f] && chance(g, 40))	/* a mapping that holds EOF */
		off = (g->fsize[f] / PG - MIN(g->fsize[f] / PG, pick(g, 2))) * PG;
	if (chance(g, 3))
		off += 1 + pick(g, PG - 1);

	if (how < 10 && g->nr_any < (int)ARRAY_SIZE(g->any) && len) {
		/* any: bound to a name, touched only inside */
		snprintf(g->any[g->nr_any].name, sizeof(g->any[0].name), "a%d", g->next_value++);
		g->any[g->nr_any].len = (len + PG - 1) & ~(PG - 1);
		g->any[g->nr_any].holders = 1ULL << p;
		sbuf_printf(g->sb, "%s = mmap P%d any 0x%llx %s %s", g->any[g->nr_any].name, p,
			    (unsigned long long)len, prot_of(g), shared ? "shared" : "private");
		g->nr_any++;
	} else {
		uint64_t addr = arena_page(g);

		sbuf_printf(g->sb, "mmap P%d 0x%llx 0x%llx %s %s", p, (unsigned long long)addr,
			    (unsigned long long)len, prot_of(g), shared ? "shared" : "private");
		if (how < 75) {
			sbuf_puts(g->sb, " fixed");
			mark(g, addr, len, true, f + 1, off / PG);
		}
		else if (how < 87)
			sbuf_puts(g->sb, " fixed_noreplace");
		/* else: a hint */
		if (!file && !shared && how < 75 && chance(g, 5))
			sbuf_puts(g->sb, " growsdown");
	}
	if (chance(g, 10))
		sbuf_puts(g->sb, " populate");
	if (file)
		sbuf_printf(g->sb, " file F%d 0x%llx", f + 1, (unsigned long long)off);
	sbuf_putc(g->sb, '\n');
}

static void gen_range_op(struct gen *g, const char *op)
{
	uint64_t len = length_of(g);
	int p = proc_of(g), i = chance(g, 15) ? any_of(g, p) : -1;
	char addr[64];

	if (i >= 0) {
		snprintf(addr, sizeof(addr), "%s", g->any[i].name);
		len = g->any[i].len;
		if (!strcmp(op, "munmap"))	/* the address may come back elsewhere */
			g->any[i].holders &= ~(1ULL << p);
	} else {
		uint64_t a = arena_page(g);

		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)a);
		if (!strcmp(op, "munmap"))
			mark(g, a, len, false, 0, 0);
	}
	sbuf_printf(g->sb, "%s P%d %s 0x%llx", op, p, addr, (unsigned long long)len);
}

static void gen_stmt(struct gen *g)
{
	static const char *const advice[] = {
		"dontneed", "dontneed", "dontneed", "willneed", "cold", "populate_read",
		"populate_write", "hugepage", "nohugepage", "collapse",
	};
	unsigned x = (unsigned)pick(g, 100);
	char addr[64];
	uint64_t room;

	if (x < 20) {
		gen_mmap(g);
	} else if (x < 24) {
		gen_range_op(g, "munmap");
		sbuf_putc(g->sb, '\n');
	} else if (x < 30) {
		gen_range_op(g, "mprotect");
		sbuf_printf(g->sb, " %s\n", prot_of(g));
	} else if (x < 37) {
		gen_range_op(g, "madvise");
		sbuf_printf(g->sb, " %s\n", advice[pick(g, ARRAY_SIZE(advice))]);
	} else if (x < 39) {
		gen_range_op(g, "pageout");
		sbuf_putc(g->sb, '\n');
	} else if (x < 61) {
		int p = proc_of(g);

		addr_of(g, p, addr, sizeof(addr), &room);
		sbuf_printf(g->sb, "write P%d %s ", p, addr);
		data_of(g, room, g->sb);
		sbuf_putc(g->sb, '\n');
	} else if (x < 81) {
		int p = proc_of(g);

		addr_of(g, p, addr, sizeof(addr), &room);
		sbuf_printf(g->sb, "read P%d %s %llu\n", p, addr,
			    (unsigned long long)(1 + pick(g, MIN(room, 2 * PG))));
	} else if (x < 87 && g->nr_files) {
		int f = (int)pick(g, (uint64_t)g->nr_files);
		uint64_t off = chance(g, 30) ? near(g, g->fsize[f]) : pick(g, 7 * PG);
		size_t mark_len = g->sb->len;
		uint64_t len;

		sbuf_printf(g->sb, "pwrite F%d 0x%llx ", f + 1, (unsigned long long)off);
		data_of(g, 3 * PG, g->sb);
		len = data_len(g->sb->buf + mark_len);
		g->fsize[f] = MAX(g->fsize[f], off + len);
		sbuf_putc(g->sb, '\n');
	} else if (x < 91 && g->nr_files) {
		sbuf_printf(g->sb, "pread F%d 0x%llx %llu\n", (int)pick(g, (uint64_t)g->nr_files) + 1,
			    (unsigned long long)pick(g, 7 * PG), (unsigned long long)(1 + pick(g, 3 * PG)));
	} else if (x < 95 && g->nr_files) {
		int f = (int)pick(g, (uint64_t)g->nr_files);
		uint64_t size = chance(g, 35) ? near(g, g->fsize[f]) :
				chance(g, 30) ? pick(g, 7) * PG : pick(g, 7 * PG);

		g->fsize[f] = size;
		sbuf_printf(g->sb, "truncate F%d 0x%llx\n", f + 1, (unsigned long long)size);
	} else if (x < 98 && g->nr_procs < (int)ARRAY_SIZE(g->procs) && g->next_proc < 63) {
		int parent = proc_of(g), child = ++g->next_proc;

		for (int i = 0; i < g->nr_any; i++)	/* the child has what the parent has */
			if (g->any[i].holders & (1ULL << parent))
				g->any[i].holders |= 1ULL << child;
		g->procs[g->nr_procs++] = child;
		sbuf_printf(g->sb, "fork P%d P%d\n", parent, child);
	} else if (g->nr_procs > 1) {
		int i = (int)pick(g, (uint64_t)g->nr_procs);

		sbuf_printf(g->sb, "exit P%d\n", g->procs[i]);
		memmove(&g->procs[i], &g->procs[i + 1],
			(size_t)(g->nr_procs - i - 1) * sizeof(g->procs[0]));
		g->nr_procs--;
	} else {
		gen_mmap(g);
	}
}

/* The statements of random scenario @seed, one per line (no header). */
static char *generate(uint64_t seed)
{
	struct sbuf sb;
	struct gen g;
	int n;

	memset(&g, 0, sizeof(g));
	sbuf_init(&sb);
	g.sb = &sb;
	prng_seed(&g.r, seed);
	g.nr_procs = 1 + (int)pick(&g, 2);
	for (int i = 0; i < g.nr_procs; i++) {
		g.procs[i] = ++g.next_proc;
		sbuf_printf(&sb, "proc P%d\n", g.procs[i]);
	}
	g.nr_files = chance(&g, 10) ? 0 : 1 + (int)pick(&g, 2);
	for (int i = 0; i < g.nr_files; i++) {
		uint64_t size = chance(&g, 30) ? pick(&g, 6) * PG : pick(&g, 6 * PG);

		g.fsize[i] = size;
		sbuf_printf(&sb, "file F%d 0x%llx\n", i + 1, (unsigned long long)size);
		if (size && chance(&g, 80))	/* content that is not zeros */
			sbuf_printf(&sb, "pwrite F%d 0 '%c'*%llu\n", i + 1, 'A' + i,
				    (unsigned long long)size);
	}
	n = 1 + (int)pick(&g, 4);	/* something mapped to start with */
	for (int i = 0; i < n; i++)
		gen_mmap(&g);
	n = 10 + (int)pick(&g, 51);
	for (int i = 0; i < n; i++)
		gen_stmt(&g);
	return sbuf_detach(&sb);
}

/* ------------------------------------------------------------------ */
/* scenarios from lines */

struct lines {
	char **line;
	int nr;
};

static void lines_split(const char *text, struct lines *ls)
{
	const char *p = text;

	memset(ls, 0, sizeof(*ls));
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		ls->line = xrealloc(ls->line, (size_t)(ls->nr + 1) * sizeof(char *));
		ls->line[ls->nr++] = xstrndup(p, n);
		p += n + (e ? 1 : 0);
	}
}

static void lines_free(struct lines *ls)
{
	for (int i = 0; i < ls->nr; i++)
		free(ls->line[i]);
	free(ls->line);
}

/* The scenario text of the lines not in @drop (may be NULL). */
static char *scenario_text(const char *name, const struct lines *ls, const bool *drop,
			   const char *const *results)
{
	struct sbuf sb;

	sbuf_init(&sb);
	sbuf_printf(&sb, "scenario %s\ninit\n", name);
	for (int i = 0; i < ls->nr; i++) {
		if (drop && drop[i])
			continue;
		sbuf_printf(&sb, "  %s", ls->line[i]);
		if (results && results[i])
			sbuf_printf(&sb, " == %s", results[i]);
		sbuf_putc(&sb, '\n');
	}
	return sbuf_detach(&sb);
}

/*
 * run_lines - conform the lines not in @drop; true if the kernel and the
 * model differ.  Text that does not parse (a name whose statement was
 * dropped) does not differ.  @res is filled when not NULL.
 */
static bool run_lines(const char *name, const struct lines *ls, const bool *drop,
		      enum scn_files files, struct cf_result *res, struct scenario **scnp)
{
	char *text = scenario_text(name, ls, drop, NULL);
	struct scn_error err;
	struct scenario *scn = scn_parse_string(name, text, strlen(text), &err);
	struct cf_result local;
	bool differs;

	free(text);
	if (scnp)
		*scnp = NULL;
	if (!scn) {
		if (res) {	/* only a shrinking step can make text that does not parse */
			memset(res, 0, sizeof(*res));
			res->verdict = CF_BROKEN;
			res->why = xasprintf("a generated scenario does not parse: %s", err.msg);
		}
		return false;
	}
	scn->config.files = files;
	cf_conform(scn, true, res ? res : &local);
	differs = (res ? res : &local)->verdict == CF_DIFFERENT;
	if (!res)
		cf_result_free(&local);
	if (scnp)
		*scnp = scn;
	else
		scn_free(scn);
	return differs;
}

/* Remove statements while a difference remains: chunks of n/2, n/4, ... 1. */
static void shrink(const char *name, const struct lines *ls, bool *drop, enum scn_files files,
		   FILE *err)
{
	int kept = ls->nr;

	for (int chunk = ls->nr / 2; chunk >= 1; chunk /= 2) {
		bool progress = true;

		while (progress) {
			progress = false;
			for (int start = 0; start < ls->nr; start += chunk) {
				bool trial[ls->nr];
				int removed = 0;

				memcpy(trial, drop, sizeof(trial));
				for (int i = start; i < start + chunk && i < ls->nr; i++) {
					if (!trial[i]) {
						trial[i] = true;
						removed++;
					}
				}
				if (!removed || !run_lines(name, ls, trial, files, NULL, NULL))
					continue;
				memcpy(drop, trial, sizeof(trial));
				kept -= removed;
				progress = true;
			}
		}
	}
	fprintf(err, "rmaplab conform: shrunk to %d of %d statements\n", kept, ls->nr);
}

/* The exact text of an outcome as an == result (data in full). */
static char *result_text(const struct scn_outcome *o)
{
	char buf[64];
	struct sbuf sb;
	bool same = o->len > 0;

	if (o->kind != SCN_RES_DATA) {
		scn_outcome_format(o, buf, sizeof(buf));
		return xstrdup(buf);
	}
	for (uint64_t i = 1; i < o->len && same; i++)
		same = o->data[i] == o->data[0];
	sbuf_init(&sb);
	if (same && o->len > 1)
		sbuf_printf(&sb, "0x%02x*%llu", o->data[0], (unsigned long long)o->len);
	else {
		sbuf_puts(&sb, "x\"");
		for (uint64_t i = 0; i < o->len; i++)
			sbuf_printf(&sb, "%02x", o->data[i]);
		sbuf_putc(&sb, '"');
	}
	return sbuf_detach(&sb);
}

/*
 * write_reproducer - the shrunk scenario, with == set to the kernel's
 * result on every statement the kernel ran (an address mmap chose becomes
 * `ok`).  Returns the path (malloc'd) or NULL.
 */
static char *write_reproducer(const char *outdir, const char *name, uint64_t seed,
			      const struct lines *ls, const bool *drop, enum scn_files files,
			      FILE *err)
{
	struct cf_result res;
	struct scenario *scn = NULL;
	char **results = xcalloc((size_t)ls->nr + 1, sizeof(char *));
	char *path = xasprintf("%s/%s.scn", outdir, name), *text;
	int step = 0;
	FILE *f;

	run_lines(name, ls, drop, files, &res, &scn);
	for (int i = 0; i < ls->nr && step < res.nr_steps; i++) {
		const struct cf_step *r = &res.steps[step];

		if (drop[i])
			continue;
		step++;
		if (!r->kran)
			continue;
		if (r->kout.kind == SCN_RES_INT && r->stmt->op == SCN_OP_MMAP &&
		    !(r->stmt->flags & (SCN_MAP_FIXED | SCN_MAP_FIXED_NOREPLACE)))
			results[i] = xstrdup("ok");	/* the kernel's choice */
		else
			results[i] = result_text(&r->kout);
	}
	text = scenario_text(name, ls, drop, (const char *const *)results);
	f = fopen(path, "w");
	if (!f || fprintf(f, "# rmaplab conform --random, seed %llu, files=%s: the kernel and the "
			  "model differ.\n# == is what the kernel said; the last statement is "
			  "where the model differs:\n#   %s\n%s",
			  (unsigned long long)seed, files == SCN_FILES_MEMFD ? "memfd" : "disk",
			  res.why ? res.why : "(the difference did not reproduce)", text) < 0 ||
	    fclose(f)) {
		fprintf(err, "rmaplab conform: cannot write %s: %s\n", path, strerror(errno));
		free(path);
		path = NULL;
	}
	free(text);
	for (int i = 0; i < ls->nr; i++)
		free(results[i]);
	free(results);
	cf_result_free(&res);
	scn_free(scn);
	return path;
}

int rl_conform_random(unsigned long n, unsigned long long seed, int files, const char *outdir,
		      int flags, FILE *out, FILE *err)
{
	enum scn_files mode = files == RL_FILES_MEMFD ? SCN_FILES_MEMFD : SCN_FILES_DISK;
	unsigned long statements = 0, compared = 0;
	unsigned long step = n >= 20 ? n / 10 : 0;

	for (unsigned long i = 0; i < n; i++) {
		uint64_t s = seed + i;
		char name[64];
		char *text = generate(s);
		struct lines ls;
		struct cf_result res;
		struct scenario *scn = NULL;
		bool differs;

		snprintf(name, sizeof(name), "conform-random-%llu", (unsigned long long)s);
		lines_split(text, &ls);
		free(text);
		differs = run_lines(name, &ls, NULL, mode, &res, &scn);
		statements += (unsigned long)res.nr_steps;
		compared += (unsigned long)res.nr_compared;
		if (res.verdict == CF_BROKEN) {
			fprintf(err, "rmaplab conform: the kernel side failed on random scenario %llu: %s\n",
				(unsigned long long)s, res.why);
			cf_result_free(&res);
			scn_free(scn);
			lines_free(&ls);
			return RL_EXIT_BAD_INPUT;
		}
		if (differs) {
			bool *drop = xcalloc((size_t)ls.nr + 1, sizeof(bool));
			char *path;

			cf_print(&res, flags & RL_RUN_JSON ? CF_JSON : 0, out);
			cf_result_free(&res);
			scn_free(scn);
			fprintf(err, "rmaplab conform: random scenario %llu differs; shrinking\n",
				(unsigned long long)s);
			shrink(name, &ls, drop, mode, err);
			path = write_reproducer(outdir, name, s, &ls, drop, mode, err);
			if (path)
				fprintf(out, "DIFFERENT random scenario %llu (files=%s): the smallest "
					"scenario that still differs is %s\n  rerun: rmaplab conform %s\n",
					(unsigned long long)s, mode == SCN_FILES_MEMFD ? "memfd" : "disk",
					path, path);
			free(path);
			free(drop);
			lines_free(&ls);
			return RL_EXIT_VIOLATION;
		}
		if (flags & RL_CONFORM_VERBOSE)
			cf_print(&res, CF_VERBOSE | (flags & RL_RUN_JSON ? CF_JSON : 0), out);
		cf_result_free(&res);
		scn_free(scn);
		lines_free(&ls);
		if (step && (i + 1) % step == 0 && i + 1 < n)
			fprintf(err, "rmaplab conform: %lu of %lu random scenarios agree\n", i + 1, n);
	}
	fprintf(out, "PASS %lu random scenarios (seeds %llu..%llu, files=%s): %lu statements, %lu "
		"compared, no difference [%s]\n", n, seed, seed + n - 1,
		mode == SCN_FILES_MEMFD ? "memfd" : "disk", statements, compared,
		cf_kernel_version());
	return RL_EXIT_OK;
}
