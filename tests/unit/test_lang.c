/*
 * tests/unit/test_lang.c - the scenario language parser (lang/)
 *
 * Positive tests parse small scenarios and check the parsed form field by
 * field; lang_bad_files runs every file of tests/scenarios/bad/, whose
 * first line "# error: LINE:COL: SUBSTRING" says where the parser must stop
 * and what it must say.  Tests run from the repository root.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lang/scn.h"
#include "tests/test.h"
#include "lib/util.h"
#include "mm/variant.h"

#define BAD_DIR "tests/scenarios/bad"

static struct scenario *parse(const char *text)
{
	struct scn_error err;
	struct scenario *scn = scn_parse_string("t.scn", text, strlen(text), &err);

	if (!scn)
		t_fail_noreturn(__FILE__, __LINE__, "parse failed: %s", err.msg);
	return scn;
}

/* Parse @text, which must fail; returns the message (static). */
static const char *parse_error(const char *text)
{
	static struct scn_error err;
	struct scenario *scn = scn_parse_string("t.scn", text, strlen(text), &err);

	if (scn) {
		scn_free(scn);
		t_fail_noreturn(__FILE__, __LINE__, "parse of \"%s\" succeeded", text);
	}
	return err.msg;
}

static const struct scn_stmt *stmt(const struct scn_section *sec, int i)
{
	T_ASSERT(i < sec->nr_stmts);
	return &sec->stmts[i];
}

static int sym(const struct scenario *scn, const char *name)
{
	for (int i = 0; i < scn->nr_syms; i++)
		if (!strcmp(scn->syms[i].name, name))
			return i;
	return -1;
}

#define T_EXPR(e, s, v) do {						\
	T_ASSERT((e).present);						\
	T_EQ((e).sym, (s));						\
	T_EQ((e).value, (v));						\
} while (0)

#define T_ABSENT(e) do {						\
	T_ASSERT(!(e).present);						\
	T_EQ((e).sym, -1);						\
} while (0)

/* ------------------------------------------------------------------ */

static const char example[] =
	"scenario anon-walk-order-vs-mremap\n"
	"doc \"migration's rmap walk visits the mremap destination before the source\"\n"
	"expect pass\n"
	"expect fail stale-migration-entry with anon_walk=newest_first mremap_rmap_locks=never\n"
	"\n"
	"init\n"
	"  proc P\n"
	"  a = mmap P any 16K rw private\n"
	"  write P a 'x'*16K\n"
	"  b = mmap P any 16K rw private      # the destination neighbour\n"
	"\n"
	"thread T0\n"
	"  n = mremap P a 16K 16K maymove fixed b\n"
	"\n"
	"thread T1\n"
	"  migrate P a                        # any result: it may find nothing to move\n"
	"\n"
	"final\n"
	"  read P b 16K == 'x'*16K\n";

/* The example of SCENARIOS.md, field by field: header and names. */
TEST(lang_example_header)
{
	struct scenario *scn = parse(example);
	int P = sym(scn, "P");

	T_STREQ(scn->path, "t.scn");
	T_STREQ(scn->name, "anon-walk-order-vs-mremap");
	T_EQ(scn->nr_docs, 1);
	T_STREQ(scn->docs[0], "migration's rmap walk visits the mremap destination before the source");
	T_EQ(scn->nr_claims, 2);
	T_ASSERT(scn->claims[0].pass);
	T_EQ(scn->claims[0].nr_with, 0);
	T_STREQ(scn->claims[0].text, "expect pass");
	T_EQ(scn->claims[0].loc.line, 3);
	T_ASSERT(!scn->claims[1].pass);
	T_EQ(scn->claims[1].kind, EX_STALE_MIGRATION);
	T_EQ(scn->claims[1].nr_with, 2);
	T_EQ(scn->claims[1].with[0].key, VAR_ANON_WALK);
	T_EQ(scn->claims[1].with[0].value, WALK_NEWEST_FIRST);
	T_EQ(scn->claims[1].with[1].key, VAR_MREMAP_RMAP_LOCKS);
	T_EQ(scn->claims[1].with[1].value, RMAP_LOCKS_NEVER);
	T_EQ(scn->claims[1].with[1].loc.col, 63);

	/* syms: P a b T0 n T1 */
	T_EQ(scn->nr_syms, 6);
	T_EQ(P, 0);
	T_EQ(scn->syms[P].kind, SCN_SYM_PROC);
	T_EQ(scn->syms[P].loc.line, 7);
	T_EQ(scn->syms[P].loc.col, 8);
	T_STREQ(scn->syms[P].loc.file, "t.scn");
	T_EQ(scn->syms[sym(scn, "a")].kind, SCN_SYM_VALUE);
	T_EQ(scn->syms[sym(scn, "T0")].kind, SCN_SYM_THREAD);
	T_EQ(scn->syms[sym(scn, "n")].kind, SCN_SYM_VALUE);

	/* defaults */
	T_EQ(scn->config.frames, 65536);
	T_EQ(scn->config.nodes, 2);
	T_EQ(scn->config.swap, 0);
	T_EQ(scn->config.thp, SCN_THP_MADVISE);
	T_EQ(scn->config.files, SCN_FILES_DISK);
	T_ASSERT(!scn->config.files_set);
	T_EQ(scn->nr_variants, 0);
	scn_free(scn);
}

/* The example of SCENARIOS.md, field by field: the sections. */
TEST(lang_example_sections)
{
	struct scenario *scn = parse(example);
	const struct scn_stmt *st;
	int P = sym(scn, "P"), a = sym(scn, "a"), b = sym(scn, "b");

	T_EQ(scn->init.nr_stmts, 4);
	T_EQ(scn->init.loc.line, 6);
	T_EQ(scn->init.sym, -1);
	st = stmt(&scn->init, 0);
	T_EQ(st->op, SCN_OP_PROC);
	T_EQ(st->proc, P);
	T_EQ(st->bind, -1);
	T_EQ(st->nr_results, 0);
	T_ASSERT(st->results == NULL);

	st = stmt(&scn->init, 1);
	T_EQ(st->op, SCN_OP_MMAP);
	T_EQ(st->bind, a);
	T_EQ(st->proc, P);
	T_ABSENT(st->addr);
	T_EXPR(st->len, -1, 16384);
	T_EQ(st->prot, SCN_PROT_READ | SCN_PROT_WRITE);
	T_EQ(st->flags, SCN_MAP_PRIVATE);
	T_EQ(st->file, -1);
	T_ABSENT(st->off);
	T_STREQ(st->text, "a = mmap P any 16K rw private");
	T_EQ(st->loc.line, 8);
	T_EQ(st->loc.col, 3);

	st = stmt(&scn->init, 2);
	T_EQ(st->op, SCN_OP_WRITE);
	T_EXPR(st->addr, a, 0);
	T_EQ(st->addr.loc.col, 11);
	T_EQ(st->data.kind, SCN_DATA_FILL);
	T_EQ(st->data.fill, 'x');
	T_EQ(st->data.len, 16384);
	T_ASSERT(st->data.bytes == NULL);

	st = stmt(&scn->init, 3);
	T_STREQ(st->text, "b = mmap P any 16K rw private");
	T_EQ(st->bind, b);

	T_EQ(scn->nr_threads, 2);
	T_STREQ(scn->threads[0].name, "T0");
	T_EQ(scn->threads[0].sym, sym(scn, "T0"));
	T_EQ(scn->threads[0].loc.line, 12);
	st = stmt(&scn->threads[0], 0);
	T_EQ(st->op, SCN_OP_MREMAP);
	T_EQ(st->bind, sym(scn, "n"));
	T_EXPR(st->addr, a, 0);
	T_EXPR(st->len, -1, 16384);
	T_EXPR(st->newlen, -1, 16384);
	T_EXPR(st->newaddr, b, 0);
	T_EQ(st->flags, SCN_MREMAP_MAYMOVE | SCN_MREMAP_FIXED);

	st = stmt(&scn->threads[1], 0);
	T_EQ(st->op, SCN_OP_MIGRATE);
	T_EXPR(st->addr, a, 0);
	T_ABSENT(st->node);
	T_STREQ(st->text, "migrate P a");

	T_EQ(scn->final.nr_stmts, 1);
	st = stmt(&scn->final, 0);
	T_EQ(st->op, SCN_OP_READ);
	T_EXPR(st->addr, b, 0);
	T_EXPR(st->len, -1, 16384);
	T_EQ(st->nr_results, 1);
	T_EQ(st->results[0].kind, SCN_RES_DATA);
	T_EQ(st->results[0].data.kind, SCN_DATA_FILL);
	T_EQ(st->results[0].data.len, 16384);
	T_EQ(st->results[0].loc.col, 19);
	scn_free(scn);
}

TEST(lang_defaults_and_name)
{
	struct scn_error err;
	struct scenario *scn = scn_parse_string("dir/sub/my-test.scn", "", 0, &err);

	T_ASSERT(scn);
	T_STREQ(scn->name, "my-test");
	T_EQ(scn->config.frames, 65536);
	T_EQ(scn->config.nodes, 2);
	T_EQ(scn->config.swap, 0);
	T_EQ(scn->config.thp, SCN_THP_MADVISE);
	T_EQ(scn->init.nr_stmts, 0);
	T_EQ(scn->nr_threads, 0);
	T_EQ(scn->final.nr_stmts, 0);
	T_STREQ(scn->init.name, "init");
	T_STREQ(scn->final.name, "final");
	T_EQ(scn->nr_claims, 0);
	T_EQ(scn->nr_syms, 0);
	scn_free(scn);

	scn = scn_parse_string("plain", "# nothing\n\n   \t\n", 16, &err);
	T_ASSERT(scn);
	T_STREQ(scn->name, "plain");
	scn_free(scn);
}

TEST(lang_config_and_variants)
{
	struct scenario *scn = parse(
		"config frames=1K nodes=64\n"
		"config swap=16M thp=never   # comment\n"
		"variant cow_reuse=trylock\n"
		"variant fault_recheck=off exec_stack_migrate=unprotected\n"
		"expect fail rmap-miss\n"
		"expect fail lock-order with fork_pinned=share\n");

	T_EQ(scn->config.frames, 1024);
	T_EQ(scn->config.nodes, 64);
	T_EQ(scn->config.swap, 16 << 20);
	T_EQ(scn->config.thp, SCN_THP_NEVER);
	T_EQ(scn->nr_variants, 3);
	T_EQ(scn->variants[0].key, VAR_COW_REUSE);
	T_EQ(scn->variants[0].value, COW_REUSE_TRYLOCK);
	T_EQ(scn->variants[0].loc.line, 3);
	T_EQ(scn->variants[0].loc.col, 9);
	T_EQ(scn->variants[1].key, VAR_FAULT_RECHECK);
	T_EQ(scn->variants[1].value, FAULT_RECHECK_OFF);
	T_EQ(scn->variants[2].key, VAR_EXEC_STACK_MIGRATE);
	T_EQ(scn->variants[2].value, EXEC_STACK_UNPROTECTED);
	T_EQ(scn->claims[0].kind, EX_RMAP_MISS);
	T_EQ(scn->claims[1].kind, EX_LOCK_ORDER);
	T_EQ(scn->claims[1].with[0].key, VAR_FORK_PINNED);
	T_STREQ(scn->claims[1].text, "expect fail lock-order with fork_pinned=share");
	scn_free(scn);

	scn = parse("config thp=always\n");
	T_EQ(scn->config.thp, SCN_THP_ALWAYS);
	scn_free(scn);

	scn = parse("config files=memfd\n");
	T_EQ(scn->config.files, SCN_FILES_MEMFD);
	T_ASSERT(scn->config.files_set);
	scn_free(scn);
	scn = parse("config files=disk\n");
	T_EQ(scn->config.files, SCN_FILES_DISK);
	T_ASSERT(scn->config.files_set);
	scn_free(scn);
}

/* Integers, suffixes, expressions with offsets. */
TEST(lang_integers_and_exprs)
{
	struct scenario *scn = parse(
		"init\n"
		"  proc P\n"
		"  a = mmap P 0x10000 2M rx shared fixed\n"
		"  munmap P a+4K 1G\n"
		"  munmap P a - 0x1000 0xffffffffffffffff\n"
		"  munmap P 18446744073709551615 16777215G\n"
		"  munmap P a-0x8000000000000000 a+0x7fffffffffffffff\n"
		"  munmap P 0xABCdef 0X10\n");
	const struct scn_section *s = &scn->init;
	int a = sym(scn, "a");

	T_EXPR(stmt(s, 1)->addr, -1, 0x10000);
	T_EXPR(stmt(s, 1)->len, -1, 2 << 20);
	T_EQ(stmt(s, 1)->prot, SCN_PROT_READ | SCN_PROT_EXEC);
	T_EQ(stmt(s, 1)->flags, SCN_MAP_SHARED | SCN_MAP_FIXED);
	T_EXPR(stmt(s, 2)->addr, a, 4096);
	T_EXPR(stmt(s, 2)->len, -1, 1 << 30);
	T_EXPR(stmt(s, 3)->addr, a, -4096);
	T_EQ(stmt(s, 3)->addr.loc.col, 12);
	T_EQ((uint64_t)stmt(s, 3)->len.value, UINT64_MAX);
	T_STREQ(stmt(s, 3)->text, "munmap P a - 0x1000 0xffffffffffffffff");
	T_EQ((uint64_t)stmt(s, 4)->addr.value, UINT64_MAX);
	T_EQ((uint64_t)stmt(s, 4)->len.value, 16777215ULL << 30);
	T_EXPR(stmt(s, 5)->addr, a, INT64_MIN);
	T_EXPR(stmt(s, 5)->len, a, INT64_MAX);
	T_EXPR(stmt(s, 6)->addr, -1, 0xabcdef);
	T_EXPR(stmt(s, 6)->len, -1, 16);
	scn_free(scn);
}

/* Every data form, in arguments and results. */
TEST(lang_data_forms)
{
	struct scenario *scn = parse(
		"init\n"
		"  proc P\n"
		"  file F 0\n"
		"  write P 0x1000 \"a\\n\\t\\\\\\\"\\x00\\xfF#z\"   # comment with \"quote\n"
		"  write P 0x1000 x\"0a1BfF\"\n"
		"  write P 0x1000 x\"\"\n"
		"  write P 0x1000 \"\"\n"
		"  pwrite F 0 0xab*4K\n"
		"  pwrite F 0 'A' * 0\n"
		"  pwrite F 0 '\\''*1\n"
		"  pwrite F 0 '#'*1G\n"
		"  pwrite F 0 '\\x00'*2M\n"
		"  pwrite F 0 7*3\n");
	const struct scn_section *s = &scn->init;
	const struct scn_data *d;

	d = &stmt(s, 2)->data;
	T_EQ(d->kind, SCN_DATA_BYTES);
	T_EQ(d->len, 9);
	T_MEMEQ(d->bytes, "a\n\t\\\"\0\xff#z", 9);
	T_STREQ(stmt(s, 2)->text, "write P 0x1000 \"a\\n\\t\\\\\\\"\\x00\\xfF#z\"");
	d = &stmt(s, 3)->data;
	T_EQ(d->kind, SCN_DATA_BYTES);
	T_EQ(d->len, 3);
	T_MEMEQ(d->bytes, "\x0a\x1b\xff", 3);
	T_EQ(stmt(s, 4)->data.kind, SCN_DATA_BYTES);
	T_EQ(stmt(s, 4)->data.len, 0);
	T_EQ(stmt(s, 5)->data.kind, SCN_DATA_BYTES);
	T_EQ(stmt(s, 5)->data.len, 0);
	d = &stmt(s, 6)->data;
	T_EQ(d->kind, SCN_DATA_FILL);
	T_EQ(d->fill, 0xab);
	T_EQ(d->len, 4096);
	T_EQ(scn_data_byte(d, 4095), 0xab);
	T_EQ(stmt(s, 6)->file, sym(scn, "F"));
	T_EXPR(stmt(s, 6)->off, -1, 0);
	T_EQ(stmt(s, 7)->data.fill, 'A');
	T_EQ(stmt(s, 7)->data.len, 0);
	T_EQ(stmt(s, 8)->data.fill, '\'');
	/* 1 GiB of '#': a FILL, nothing allocated */
	T_EQ(stmt(s, 9)->data.kind, SCN_DATA_FILL);
	T_EQ(stmt(s, 9)->data.fill, '#');
	T_EQ(stmt(s, 9)->data.len, 1ULL << 30);
	T_ASSERT(stmt(s, 9)->data.bytes == NULL);
	T_EQ(stmt(s, 10)->data.fill, 0);
	T_EQ(stmt(s, 10)->data.len, 2 << 20);
	T_EQ(stmt(s, 11)->data.fill, 7);
	T_EQ(stmt(s, 11)->data.len, 3);
	scn_free(scn);
}

/* Results: every kind, alternatives, values with offsets. */
TEST(lang_results)
{
	struct scenario *scn = parse(
		"init\n"
		"  proc P\n"
		"  a = mmap P any 4K rw private == 0x7ffff7ffe000 | ENOMEM\n"
		"  read P a 4K == \"x\" | SIGBUS | SIGSEGV | x\"00\" | 0*4K\n"
		"  munmap P a 4K == ok|EINVAL|EFAULT|ENOENT|EAGAIN|EBUSY|EPERM|EEXIST|ESRCH|EOVERFLOW|EFBIG\n"
		"  b = mremap P a 4K 8K maymove == a | a+8K | 12\n");
	const struct scn_section *s = &scn->init;
	const struct scn_stmt *st;
	static const int errs[] = {
		EINVAL, EFAULT, ENOENT, EAGAIN, EBUSY, EPERM, EEXIST, ESRCH, EOVERFLOW, EFBIG,
	};
	int a = sym(scn, "a");

	st = stmt(s, 1);
	T_EQ(st->nr_results, 2);
	T_EQ(st->results[0].kind, SCN_RES_INT);
	T_EXPR(st->results[0].expr, -1, 0x7ffff7ffe000);
	T_EQ(st->results[0].loc.col, 35);
	T_EQ(st->results[1].kind, SCN_RES_ERRNO);
	T_EQ(st->results[1].err, ENOMEM);

	st = stmt(s, 2);
	T_EQ(st->nr_results, 5);
	T_EQ(st->results[0].kind, SCN_RES_DATA);
	T_EQ(st->results[0].data.kind, SCN_DATA_BYTES);
	T_EQ(st->results[0].data.len, 1);
	T_EQ(st->results[1].kind, SCN_RES_SIGNAL);
	T_EQ(st->results[1].sig, SIGBUS);
	T_EQ(st->results[2].sig, SIGSEGV);
	T_EQ(st->results[3].data.kind, SCN_DATA_BYTES);
	T_EQ(st->results[3].data.bytes[0], 0);
	T_EQ(st->results[4].data.kind, SCN_DATA_FILL);
	T_EQ(st->results[4].data.fill, 0);

	st = stmt(s, 3);
	T_EQ(st->nr_results, 11);
	T_EQ(st->results[0].kind, SCN_RES_OK);
	for (int i = 0; i < 10; i++) {
		T_EQ(st->results[i + 1].kind, SCN_RES_ERRNO);
		T_EQ(st->results[i + 1].err, errs[i]);
	}

	st = stmt(s, 4);
	T_EQ(st->bind, sym(scn, "b"));
	T_EQ(st->nr_results, 3);
	T_EXPR(st->results[0].expr, a, 0);
	T_EXPR(st->results[1].expr, a, 8192);
	T_EXPR(st->results[2].expr, -1, 12);
	scn_free(scn);
}

/*
 * Fields each op uses: p proc, q proc2, f file, a addr, l len, n newlen,
 * N newaddr, o off, h handle, e node, d data.  Every other symbol field
 * must be -1 and every other expression absent.
 */
static const char *const op_fields[SCN_NR_OPS] = {
	[SCN_OP_PROC] = "p", [SCN_OP_FORK] = "pq", [SCN_OP_EXIT] = "p",
	[SCN_OP_FILE] = "fl", [SCN_OP_MMAP] = "palfo", [SCN_OP_MUNMAP] = "pal",
	[SCN_OP_MPROTECT] = "pal", [SCN_OP_MREMAP] = "palnN", [SCN_OP_MADVISE] = "pal",
	[SCN_OP_WRITE] = "pad", [SCN_OP_READ] = "pal", [SCN_OP_PWRITE] = "fod",
	[SCN_OP_PREAD] = "fol", [SCN_OP_TRUNCATE] = "fl", [SCN_OP_PIN] = "pa",
	[SCN_OP_PINREAD] = "hol", [SCN_OP_PINWRITE] = "hod", [SCN_OP_UNPIN] = "h",
	[SCN_OP_EXEC] = "pl", [SCN_OP_MIGRATE] = "pae", [SCN_OP_COMPACT] = "e",
	[SCN_OP_RECLAIM] = "l", [SCN_OP_PAGEOUT] = "pal", [SCN_OP_SPLIT] = "pa",
	[SCN_OP_INJECT] = "", [SCN_OP_CHECK] = "",
};

static void check_unused_fields(const struct scn_stmt *st)
{
	const char *f = op_fields[st->op];
	const struct { char c; const struct scn_expr *e; } exprs[] = {
		{ 'a', &st->addr }, { 'l', &st->len }, { 'n', &st->newlen },
		{ 'N', &st->newaddr }, { 'o', &st->off }, { 'h', &st->handle },
		{ 'e', &st->node },
	};

	if (!strchr(f, 'p'))
		T_EQ(st->proc, -1);
	if (!strchr(f, 'q'))
		T_EQ(st->proc2, -1);
	if (!strchr(f, 'f'))
		T_EQ(st->file, -1);
	if (!strchr(f, 'd'))
		T_EQ(st->data.kind, SCN_DATA_NONE);
	for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++)
		if (!strchr(f, exprs[i].c))
			T_ABSENT(*exprs[i].e);
	if (st->op != SCN_OP_MMAP && st->op != SCN_OP_MREMAP && st->op != SCN_OP_PIN)
		T_EQ(st->flags, 0);
	T_ASSERT(st->text && st->text[0]);
}

/* Every op with its arguments. */
static const char every_op[] =
	"config nodes=4\n"
	"init\n"
	"  proc P\n"
	"  fork P Q\n"
	"  file F 8K\n"
	"  a = mmap P any 8K rwx growsdown populate private fixed_noreplace file F 4K\n"
	"  mprotect P a 4K none\n"
	"  madvise P a 8K populate_write\n"
	"  read P a 1\n"
	"  pread F 1 2\n"
	"  truncate F 0\n"
	"  h = pin P a get longterm force write\n"
	"  pinread h 0 4K\n"
	"  pinwrite h 8 \"hi\"\n"
	"  unpin h\n"
	"  sp = exec Q 100K\n"
	"  migrate P a 3\n"
	"  compact\n"
	"  compact 1\n"
	"  reclaim\n"
	"  reclaim 10\n"
	"  pageout P a 8K\n"
	"  split P a\n"
	"  inject avc\n"
	"  inject swap_slot times=3 after=2\n"
	"  check\n"
	"  exit Q\n"
	"  c = mremap P a 8K 4K dontunmap fixed a+1M\n"
	"  munmap P c 4K\n"
	"  write P c \"x\"\n"
	"  pwrite F 4K x\"00\"\n";

/* Process, file and memory ops of every_op. */
TEST(lang_every_op_memory)
{
	struct scenario *scn = parse(every_op);
	const struct scn_section *s = &scn->init;
	int P = sym(scn, "P"), Q = sym(scn, "Q"), F = sym(scn, "F"), a = sym(scn, "a");
	const struct scn_stmt *st;

	st = stmt(s, 1);
	T_EQ(st->op, SCN_OP_FORK);
	T_EQ(st->proc, P);
	T_EQ(st->proc2, Q);
	T_EQ(scn->syms[Q].kind, SCN_SYM_PROC);
	st = stmt(s, 2);
	T_EQ(st->op, SCN_OP_FILE);
	T_EQ(st->file, F);
	T_EQ(st->proc, -1);
	T_EXPR(st->len, -1, 8192);
	T_EQ(scn->syms[F].kind, SCN_SYM_FILE);
	st = stmt(s, 3);
	T_EQ(st->prot, SCN_PROT_READ | SCN_PROT_WRITE | SCN_PROT_EXEC);
	T_EQ(st->flags, SCN_MAP_GROWSDOWN | SCN_MAP_POPULATE | SCN_MAP_PRIVATE |
			SCN_MAP_FIXED_NOREPLACE);
	T_EQ(st->file, F);
	T_EXPR(st->off, -1, 4096);
	T_EQ(stmt(s, 4)->op, SCN_OP_MPROTECT);
	T_EQ(stmt(s, 4)->prot, 0);
	T_EQ(stmt(s, 5)->advice, SCN_ADV_POPULATE_WRITE);
	T_EXPR(stmt(s, 5)->len, -1, 8192);
	T_EXPR(stmt(s, 6)->len, -1, 1);
	st = stmt(s, 7);
	T_EQ(st->op, SCN_OP_PREAD);
	T_EQ(st->file, F);
	T_EQ(st->proc, -1);
	T_EXPR(st->off, -1, 1);
	T_EXPR(st->len, -1, 2);
	T_EXPR(stmt(s, 8)->len, -1, 0);
	T_EQ(stmt(s, 23)->op, SCN_OP_CHECK);
	T_EQ(stmt(s, 24)->op, SCN_OP_EXIT);
	T_EQ(stmt(s, 24)->proc, Q);
	st = stmt(s, 25);
	T_EQ(st->flags, SCN_MREMAP_DONTUNMAP | SCN_MREMAP_FIXED);
	T_EXPR(st->newaddr, a, 1 << 20);
	T_EXPR(st->newlen, -1, 4096);
	T_EXPR(stmt(s, 26)->addr, sym(scn, "c"), 0);
	T_EXPR(stmt(s, 27)->addr, sym(scn, "c"), 0);
	T_EQ(stmt(s, 28)->file, F);
	T_EXPR(stmt(s, 28)->off, -1, 4096);
	scn_free(scn);
}

/* Pin, exec, kernel and inject ops of every_op. */
TEST(lang_every_op_pin_kernel)
{
	struct scenario *scn = parse(every_op);
	const struct scn_section *s = &scn->init;
	int Q = sym(scn, "Q"), a = sym(scn, "a"), h = sym(scn, "h");
	const struct scn_stmt *st;

	st = stmt(s, 9);
	T_EQ(st->op, SCN_OP_PIN);
	T_EQ(st->bind, h);
	T_EQ(st->flags, SCN_PIN_GET | SCN_PIN_LONGTERM | SCN_PIN_FORCE | SCN_PIN_WRITE);
	st = stmt(s, 10);
	T_EXPR(st->handle, h, 0);
	T_EXPR(st->off, -1, 0);
	T_EXPR(st->len, -1, 4096);
	T_EQ(st->proc, -1);
	T_ABSENT(st->addr);
	st = stmt(s, 11);
	T_EXPR(st->handle, h, 0);
	T_EXPR(st->off, -1, 8);
	T_MEMEQ(st->data.bytes, "hi", 2);
	T_EXPR(stmt(s, 12)->handle, h, 0);
	st = stmt(s, 13);
	T_EQ(st->op, SCN_OP_EXEC);
	T_EQ(st->proc, Q);
	T_EXPR(st->len, -1, 102400);
	T_EQ(scn->syms[sym(scn, "sp")].kind, SCN_SYM_VALUE);
	T_EXPR(stmt(s, 14)->node, -1, 3);
	T_ABSENT(stmt(s, 15)->node);
	T_EXPR(stmt(s, 16)->node, -1, 1);
	T_ABSENT(stmt(s, 17)->len);
	T_EXPR(stmt(s, 18)->len, -1, 10);
	T_EQ(stmt(s, 19)->op, SCN_OP_PAGEOUT);
	T_EXPR(stmt(s, 19)->len, -1, 8192);
	T_EQ(stmt(s, 20)->op, SCN_OP_SPLIT);
	T_EXPR(stmt(s, 20)->addr, a, 0);
	st = stmt(s, 21);
	T_EQ(st->site, SCN_SITE_AVC);
	T_EQ(st->inject_after, 0);
	T_EQ(st->inject_times, 1);
	st = stmt(s, 22);
	T_EQ(st->site, SCN_SITE_SWAP_SLOT);
	T_EQ(st->inject_after, 2);
	T_EQ(st->inject_times, 3);
	scn_free(scn);
}

/* Unused fields are -1 / absent, and every op is in every_op. */
TEST(lang_every_op_unused_fields)
{
	struct scenario *scn = parse(every_op);
	const struct scn_section *s = &scn->init;

	for (int i = 0; i < s->nr_stmts; i++)
		check_unused_fields(stmt(s, i));
	for (int op = 0; op < SCN_NR_OPS; op++) {
		int n = 0;

		for (int i = 0; i < s->nr_stmts; i++)
			n += stmt(s, i)->op == (enum scn_op)op;
		if (!n)
			t_fail(__FILE__, __LINE__, "no %s statement", scn_op_name((enum scn_op)op));
	}
	scn_free(scn);
}

/* CRLF line ends, tabs (one column each), comments everywhere. */
TEST(lang_crlf_tabs_comments)
{
	struct scenario *scn = parse(
		"# leading comment\r\n"
		"scenario\tx.y-z+1   # the name\r\n"
		"init # section\r\n"
		"\tproc\tP\t# tab\r\n"
		"\t\tread P 0 1 == \"#\" | '#'*1\r\n");

	T_STREQ(scn->name, "x.y-z+1");
	T_EQ(stmt(&scn->init, 0)->loc.col, 2);
	T_EQ(scn->syms[0].loc.col, 7);
	T_STREQ(stmt(&scn->init, 0)->text, "proc\tP");
	T_STREQ(stmt(&scn->init, 1)->text, "read P 0 1 == \"#\" | '#'*1");
	T_EQ(stmt(&scn->init, 1)->results[1].loc.col, 23);
	scn_free(scn);
}

/* Keywords are not reserved: processes, files, values named like them. */
TEST(lang_keywords_as_names)
{
	struct scenario *scn = parse(
		"init\n"
		"  proc file\n"
		"  proc read\n"
		"  file init 4K\n"
		"  any = mmap file any 4K r shared file init 0\n"
		"  private = mmap read any 4K rw private\n"
		"  read read private 4K\n"
		"  thread = mmap file private 4K rw private fixed\n"
		"  read file any+4K 1 == any | thread\n"
		"thread mmap\n"
		"  write file thread 'x'*1\n");
	const struct scn_section *s = &scn->init;
	int file = sym(scn, "file"), rd = sym(scn, "read"), init = sym(scn, "init");

	T_EQ(scn->syms[file].kind, SCN_SYM_PROC);
	T_EQ(scn->syms[init].kind, SCN_SYM_FILE);
	T_EQ(stmt(s, 3)->proc, file);
	T_ABSENT(stmt(s, 3)->addr);
	T_EQ(stmt(s, 3)->file, init);
	T_EQ(stmt(s, 3)->flags, SCN_MAP_SHARED);
	T_EQ(stmt(s, 5)->op, SCN_OP_READ);
	T_EQ(stmt(s, 5)->proc, rd);
	T_EXPR(stmt(s, 5)->addr, sym(scn, "private"), 0);
	T_EQ(stmt(s, 6)->bind, sym(scn, "thread"));
	T_EXPR(stmt(s, 6)->addr, sym(scn, "private"), 0);
	T_EXPR(stmt(s, 7)->addr, sym(scn, "any"), 4096);
	T_EXPR(stmt(s, 7)->results[0].expr, sym(scn, "any"), 0);
	T_EXPR(stmt(s, 7)->results[1].expr, sym(scn, "thread"), 0);
	T_EQ(scn->nr_threads, 1);
	T_STREQ(scn->threads[0].name, "mmap");
	T_EQ(scn->syms[scn->threads[0].sym].kind, SCN_SYM_THREAD);
	scn_free(scn);
}

/* Scope: init, own thread, final sees all; value names may be re-bound. */
TEST(lang_scope_and_rebinding)
{
	struct scenario *scn = parse(
		"init\n"
		"  proc P\n"
		"  a = mmap P any 4K rw private\n"
		"thread T0\n"
		"  x = mmap P any 4K rw private\n"
		"  a = mremap P a 4K 8K maymove\n"
		"  munmap P x a\n"
		"thread T1\n"
		"  x = mmap P any 4K rw private\n"
		"  proc Q\n"
		"final\n"
		"  munmap P x 4K\n"
		"  munmap Q a 4K\n"
		"  x = mmap Q x 4K rw private\n");
	int a = sym(scn, "a"), x = sym(scn, "x");

	T_EQ(scn->nr_syms, 6);	/* P a T0 x T1 Q */
	T_EQ(stmt(&scn->threads[0], 1)->bind, a);
	T_EXPR(stmt(&scn->threads[0], 1)->addr, a, 0);
	T_EQ(stmt(&scn->threads[1], 0)->bind, x);
	T_EQ(scn->syms[x].loc.line, 5);
	T_EXPR(stmt(&scn->final, 2)->addr, x, 0);
	T_EQ(stmt(&scn->final, 2)->bind, x);
	scn_free(scn);
}

/* Error messages: location, what was expected, what was found. */
TEST(lang_error_messages)
{
	struct scn_error err;

	T_STREQ(parse_error("init\n  proc P\n  a = mmap P any 4K rwz private\n"),
		"t.scn:3:21: error: expected PROT (none, r, rw, rx, rwx), found 'rwz' "
		"(usage: A = mmap P ADDR|any LEN PROT FLAG... [file F OFF])");
	T_STREQ(parse_error("init\n  proc P\n\tproc P\n"),
		"t.scn:3:7: error: 'P' already names a process bound at t.scn:2:8");
	T_STREQ(parse_error("init\n  munmap P 0 4K # P is not bound\n"),
		"t.scn:2:10: error: undefined name 'P' (expected P, a process)");
	T_ASSERT(!scn_parse_file("tests/scenarios/no-such-file.scn", &err));
	T_STREQ(err.msg, "tests/scenarios/no-such-file.scn: error: cannot open: "
		"No such file or directory");
	T_ASSERT(!scn_parse_file("tests/scenarios", &err));
	T_ASSERT(strstr(err.msg, "tests/scenarios: error: cannot read: "));
	/* a long path still gives a NUL-terminated message */
	{
		char path[700];

		memset(path, 'p', sizeof(path) - 1);
		path[sizeof(path) - 1] = '\0';
		T_ASSERT(!scn_parse_string(path, "foo", 3, &err));
		T_EQ(strlen(err.msg), sizeof(err.msg) - 1);
	}
}

/* ------------------------------------------------------------------ */
/* tests/scenarios/bad/ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted .scn names in BAD_DIR; *nr gets the count. */
static char **bad_files(int *nr)
{
	DIR *dir = opendir(BAD_DIR);
	struct dirent *de;
	char **names = NULL;
	size_t n;

	*nr = 0;
	if (!dir)
		return NULL;
	while ((de = readdir(dir))) {
		n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".scn"))
			continue;
		names = xrealloc(names, (size_t)(*nr + 1) * sizeof(*names));
		names[(*nr)++] = xstrdup(de->d_name);
	}
	closedir(dir);
	if (*nr)
		qsort(names, (size_t)*nr, sizeof(*names), cmp_str);
	return names;
}

/* Check one file; returns NULL when it behaves, or what is wrong (static). */
static const char *check_bad_file(const char *path)
{
	static char why[2048];
	char first[512], want[600], sub[512];
	struct scn_error err;
	struct scenario *scn;
	int line, col, n = 0;
	FILE *f = fopen(path, "r");

	if (!f || !fgets(first, sizeof(first), f)) {
		if (f)
			fclose(f);
		return "cannot read its first line";
	}
	fclose(f);
	first[strcspn(first, "\n")] = '\0';
	if (sscanf(first, "# error: %d:%d: %n", &line, &col, &n) != 2 || !n || !first[n])
		return "first line is not '# error: LINE:COL: SUBSTRING'";
	snprintf(sub, sizeof(sub), "%s", first + n);
	scn = scn_parse_file(path, &err);
	if (scn) {
		scn_free(scn);
		return "parsed without error";
	}
	snprintf(want, sizeof(want), "%s:%d:%d: error: ", path, line, col);
	if (strncmp(err.msg, want, strlen(want)) || !strstr(err.msg, sub)) {
		snprintf(why, sizeof(why), "expected '%s...%s', got '%s'", want, sub, err.msg);
		return why;
	}
	return NULL;
}

TEST(lang_bad_files)
{
	int nr, bad = 0;
	char **names = bad_files(&nr);

	for (int i = 0; i < nr; i++) {
		char path[512];
		const char *why;

		snprintf(path, sizeof(path), "%s/%s", BAD_DIR, names[i]);
		why = check_bad_file(path);
		if (why) {
			t_fail(__FILE__, __LINE__, "%s: %s", names[i], why);
			bad++;
		} else if (t_verbose()) {
			t_log("ok %s", names[i]);
		}
		free(names[i]);
	}
	free(names);
	if (nr < 40)
		t_fail(__FILE__, __LINE__, "%s has %d .scn files, expected at least 40", BAD_DIR, nr);
	T_EQ(bad, 0);
}

/* ------------------------------------------------------------------ */
/* Names */

TEST(lang_names)
{
	T_STREQ(scn_op_name(SCN_OP_PROC), "proc");
	T_STREQ(scn_op_name(SCN_OP_PINWRITE), "pinwrite");
	T_STREQ(scn_op_name(SCN_OP_CHECK), "check");
	for (int op = 0; op < SCN_NR_OPS; op++)
		T_ASSERT(strcmp(scn_op_name((enum scn_op)op), "?"));
	T_STREQ(scn_advice_name(SCN_ADV_POPULATE_READ), "populate_read");
	T_STREQ(scn_site_name(SCN_SITE_ANON_VMA), "anon_vma");
	T_STREQ(scn_errno_name(ENOMEM), "ENOMEM");
	T_STREQ(scn_errno_name(EFBIG), "EFBIG");
	T_ASSERT(scn_errno_name(ENOSPC) == NULL);
	T_EQ(scn_errno_from_name("ESRCH"), ESRCH);
	T_EQ(scn_errno_from_name("EOVERFLOW"), EOVERFLOW);
	T_EQ(scn_errno_from_name("ENOSPC"), 0);
	T_EQ(scn_errno_from_name("enomem"), 0);
	T_ASSERT(scn_op_is_kernel(SCN_OP_MIGRATE));
	T_ASSERT(scn_op_is_kernel(SCN_OP_PAGEOUT));
	T_ASSERT(!scn_op_is_kernel(SCN_OP_MADVISE));
	T_ASSERT(!scn_op_is_kernel(SCN_OP_CHECK));
	T_ASSERT(scn_op_implemented(SCN_OP_MMAP));
	T_ASSERT(scn_op_implemented(SCN_OP_PAGEOUT));
	T_ASSERT(scn_op_implemented(SCN_OP_CHECK));
	T_ASSERT(scn_op_implemented(SCN_OP_MIGRATE));
	T_ASSERT(scn_op_implemented(SCN_OP_COMPACT));
	T_ASSERT(scn_op_implemented(SCN_OP_MREMAP));
	T_ASSERT(!scn_op_implemented(SCN_OP_UNPIN));
	T_ASSERT(scn_op_implemented(SCN_OP_INJECT));
}

/* ------------------------------------------------------------------ */
/* Outcomes */

/* Parse "== TEXT" as a result and turn it into an outcome. */
static bool outcome_from_text(const char *text, struct scn_outcome *o)
{
	char buf[600];
	struct scenario *scn;
	const struct scn_result *r;

	snprintf(buf, sizeof(buf), "init\n  proc P\n  read P 0 1 == %s\n", text);
	scn = scn_parse_string("rt.scn", buf, strlen(buf), NULL);
	if (!scn)
		return false;
	r = &stmt(&scn->init, 1)->results[0];
	memset(o, 0, sizeof(*o));
	o->kind = r->kind;
	o->value = r->expr.value;
	o->err = r->err;
	o->sig = r->sig;
	if (r->kind == SCN_RES_DATA) {
		o->len = r->data.len;
		o->data = xmalloc(o->len + 1);
		for (uint64_t i = 0; i < o->len; i++)
			o->data[i] = scn_data_byte(&r->data, i);
	}
	scn_free(scn);
	return true;
}

/* scn_outcome_format(o) is @want, and reads back as an equal outcome. */
static void check_format(const struct scn_outcome *o, const char *want, bool round_trip)
{
	struct scn_outcome back;
	char buf[256];

	scn_outcome_format(o, buf, sizeof(buf));
	T_STREQ(buf, want);
	if (!round_trip)
		return;
	T_ASSERT(outcome_from_text(buf, &back));
	T_ASSERT(scn_outcome_equal(o, &back));
	scn_outcome_free(&back);
}

static struct scn_outcome data_outcome(const void *bytes, uint64_t len)
{
	struct scn_outcome o = { .kind = SCN_RES_DATA, .len = len };

	o.data = xmalloc(len + 1);
	memcpy(o.data, bytes, len);
	return o;
}

TEST(lang_outcome_format)
{
	struct scn_outcome o = { .kind = SCN_RES_OK };
	unsigned char big[4096];

	check_format(&o, "ok", true);
	o = (struct scn_outcome){ .kind = SCN_RES_INT, .value = 0x7ffff7ffb000 };
	check_format(&o, "0x7ffff7ffb000", true);
	o.value = 4095;
	check_format(&o, "4095", true);
	o.value = 4096;
	check_format(&o, "0x1000", true);
	o.value = 0;
	check_format(&o, "0", true);
	o.value = -1;
	check_format(&o, "0xffffffffffffffff", true);
	o = (struct scn_outcome){ .kind = SCN_RES_ERRNO, .err = EEXIST };
	check_format(&o, "EEXIST", true);
	o.err = ENOSPC;
	check_format(&o, "errno 28", false);
	o = (struct scn_outcome){ .kind = SCN_RES_SIGNAL, .sig = SIGBUS };
	check_format(&o, "SIGBUS", true);
	o.sig = SIGSEGV;
	check_format(&o, "SIGSEGV", true);

	o = data_outcome("", 0);
	check_format(&o, "\"\"", true);
	scn_outcome_free(&o);
	o = data_outcome("it's a \"test\"\n\t\\", 16);
	check_format(&o, "\"it's a \\\"test\\\"\\n\\t\\\\\"", true);
	scn_outcome_free(&o);
	o = data_outcome("abc\0def", 7);
	check_format(&o, "\"abc\\x00def\"", true);
	scn_outcome_free(&o);
	memset(big, 'x', sizeof(big));
	o = data_outcome(big, sizeof(big));
	check_format(&o, "'x'*4096", true);
	scn_outcome_free(&o);
	memset(big, 0, sizeof(big));
	o = data_outcome(big, 17);
	check_format(&o, "0x00*17", true);
	scn_outcome_free(&o);
	o = data_outcome("\x01\x02\x03\x04", 4);
	check_format(&o, "x\"01020304\"", true);
	scn_outcome_free(&o);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)i;
	o = data_outcome(big, sizeof(big));
	check_format(&o, "x\"000102030405060708090a0b0c0d0e0f"
		     "101112131415161718191a1b1c1d1e1f\"... (4096 bytes)", false);
	scn_outcome_free(&o);
	T_ASSERT(o.data == NULL);
	T_EQ(o.len, 0);
}

/* The output always fits the buffer, cut with "..." when it must be. */
TEST(lang_outcome_format_fits)
{
	struct scn_outcome o;
	unsigned char bytes[64];
	char buf[64];

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(0x80 + i);
	o = data_outcome(bytes, sizeof(bytes));
	for (size_t size = 1; size < sizeof(buf); size++) {
		memset(buf, '#', sizeof(buf));
		scn_outcome_format(&o, buf, size);
		T_EQ(strlen(buf), size - 1);
		T_EQ(buf[size], '#');
		if (size >= 4)
			T_STREQ(buf + size - 4, "...");
	}
	scn_outcome_free(&o);
	o = (struct scn_outcome){ .kind = SCN_RES_INT, .value = 0x7ffff7ffb000 };
	scn_outcome_format(&o, buf, 8);
	T_STREQ(buf, "0x7f...");
	scn_outcome_format(&o, buf, 15);
	T_STREQ(buf, "0x7ffff7ffb000");
	buf[0] = '#';
	scn_outcome_format(&o, buf, 0);
	T_EQ(buf[0], '#');
}

TEST(lang_outcome_equal)
{
	struct scn_outcome a = { .kind = SCN_RES_INT, .value = 5 };
	struct scn_outcome b = { .kind = SCN_RES_INT, .value = 5, .unpredictable = true,
				 .alloc_failed = true, .progress = 3 };
	struct scn_outcome c = { .kind = SCN_RES_ERRNO, .err = 5 };
	struct scn_outcome d1, d2, d3, e1, e2;

	T_ASSERT(scn_outcome_equal(&a, &b));
	b.value = 6;
	T_ASSERT(!scn_outcome_equal(&a, &b));
	T_ASSERT(!scn_outcome_equal(&a, &c));
	a = (struct scn_outcome){ .kind = SCN_RES_ERRNO, .err = EBUSY };
	c.err = EBUSY;
	T_ASSERT(scn_outcome_equal(&a, &c));
	c.err = EAGAIN;
	T_ASSERT(!scn_outcome_equal(&a, &c));
	a = (struct scn_outcome){ .kind = SCN_RES_SIGNAL, .sig = SIGBUS };
	b = (struct scn_outcome){ .kind = SCN_RES_SIGNAL, .sig = SIGSEGV };
	T_ASSERT(!scn_outcome_equal(&a, &b));
	b.sig = SIGBUS;
	T_ASSERT(scn_outcome_equal(&a, &b));
	a = (struct scn_outcome){ .kind = SCN_RES_OK };
	b = (struct scn_outcome){ .kind = SCN_RES_OK, .value = 7 };
	T_ASSERT(scn_outcome_equal(&a, &b));

	d1 = data_outcome("abc", 3);
	d2 = data_outcome("abc", 3);
	d3 = data_outcome("abd", 3);
	e1 = data_outcome("ab", 2);
	e2 = (struct scn_outcome){ .kind = SCN_RES_DATA };	/* empty, data NULL */
	T_ASSERT(scn_outcome_equal(&d1, &d2));
	T_ASSERT(!scn_outcome_equal(&d1, &d3));
	T_ASSERT(!scn_outcome_equal(&d1, &e1));
	e1.len = 0;
	T_ASSERT(scn_outcome_equal(&e1, &e2));
	scn_outcome_free(&d1);
	scn_outcome_free(&d2);
	scn_outcome_free(&d3);
	scn_outcome_free(&e1);
	scn_outcome_free(&e2);
}
