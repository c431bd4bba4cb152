/*
 * tests/unit/test_spec.c - the reference semantics (spec/) against
 * docs/semantics.md, rule by rule
 *
 * Statements are built directly as struct scn_stmt / struct scn_args (no
 * parser).  Each helper runs one statement and encodes its outcome as one
 * integer: 0 ok, -errno, an address, or SEGV/BUS/UNPRED; reads compare
 * bytes.  Expected addresses were worked out by hand from the contract
 * and, where spec/ follows Linux over the text, from probes on Linux 6.18
 * (the comments give the probe results).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test.h"
#include "lib/util.h"
#include "spec/internal.h"	/* the page map, for its own randomised test */
#include "spec/spec.h"

enum { P, Q, R, P4, F, F2, NSYM };	/* symbol indices */

#define K 1024ULL
#define M (1024ULL * 1024)
#define PG 4096ULL
#define BASE 0x7ffff7fff000ULL		/* mmap_base */
#define TASK 0x7ffffffff000ULL		/* TASK_SIZE */
#define MAXLFS 0x7fffffffffffffffULL
#define ANY UINT64_MAX			/* mmap ADDR `any` */

#define SEGV (-1000001)
#define BUS (-1000002)
#define DATA (-1000003)
#define UNPRED (-1000004)
#define MIXED (-1000005)		/* bytes that differ */
#define EMPTY (-1000006)		/* no bytes */

#define RO SCN_PROT_READ
#define RW (SCN_PROT_READ | SCN_PROT_WRITE)
#define NONE 0
#define PRIV SCN_MAP_PRIVATE
#define SHRD SCN_MAP_SHARED
#define FIXED SCN_MAP_FIXED
#define NOREPL SCN_MAP_FIXED_NOREPLACE
#define POP SCN_MAP_POPULATE
#define GROWS SCN_MAP_GROWSDOWN
#define ANON (-1)

static struct scenario t_scn;
static struct scn_outcome t_model;		/* the model's outcome, when set */
static const struct scn_outcome *t_pmodel;

static struct spec *mk_files(enum scn_thp thp, enum scn_files files)
{
	memset(&t_scn, 0, sizeof(t_scn));
	t_scn.config.thp = thp;
	t_scn.config.files = files;
	t_scn.nr_syms = NSYM;
	t_pmodel = NULL;
	return spec_create(&t_scn);
}

static struct spec *mk(enum scn_thp thp)
{
	return mk_files(thp, SCN_FILES_DISK);
}

/* The model ran out of memory after @progress pages (NULL model when < 0). */
static void oom(long long progress, enum scn_result_kind kind)
{
	if (progress < 0) {
		t_pmodel = NULL;
		return;
	}
	memset(&t_model, 0, sizeof(t_model));
	t_model.kind = kind;
	t_model.err = ENOMEM;
	t_model.alloc_failed = true;
	t_model.progress = (uint64_t)progress;
	t_pmodel = &t_model;
}

static struct scn_stmt st0(enum scn_op op)
{
	struct scn_stmt st;

	memset(&st, 0, sizeof(st));
	st.op = op;
	st.bind = st.proc = st.proc2 = st.file = -1;
	return st;
}

static struct scn_args args0(void)
{
	struct scn_args a;

	memset(&a, 0, sizeof(a));
	a.node = -1;
	a.reclaim_n = UINT64_MAX;
	return a;
}

/* Run; encode the outcome; copy data (at most @cap bytes) to @buf. */
static long long run_buf(struct spec *s, const struct scn_stmt *st, const struct scn_args *a,
			 unsigned char *buf, uint64_t cap, uint64_t *n)
{
	struct scn_outcome o;
	long long r = 0;

	spec_exec(s, st, a, t_pmodel, &o);
	switch (o.kind) {
	case SCN_RES_OK:
		r = o.unpredictable ? UNPRED : 0;
		break;
	case SCN_RES_INT:
		r = o.value;
		break;
	case SCN_RES_ERRNO:
		r = -(long long)o.err;
		break;
	case SCN_RES_SIGNAL:
		r = o.sig == SIGSEGV ? SEGV : o.sig == SIGBUS ? BUS : 0;
		break;
	case SCN_RES_DATA:
		r = DATA;
		T_ASSERT(o.data != NULL);
		if (buf)
			memcpy(buf, o.data, MIN(cap, o.len));
		if (n)
			*n = o.len;
		break;
	}
	free(o.data);
	return r;
}

static long long run(struct spec *s, const struct scn_stmt *st, const struct scn_args *a)
{
	return run_buf(s, st, a, NULL, 0, NULL);
}

static long long proc_op(struct spec *s, enum scn_op op, int p, int q)
{
	struct scn_stmt st = st0(op);
	struct scn_args a = args0();

	st.proc = p;
	st.proc2 = q;
	return run(s, &st, &a);
}

static long long file_op(struct spec *s, enum scn_op op, int f, uint64_t size)
{
	struct scn_stmt st = st0(op);
	struct scn_args a = args0();

	st.file = f;
	a.len = size;
	return run(s, &st, &a);
}

static long long mmap_(struct spec *s, int p, uint64_t addr, uint64_t len, int prot,
		       unsigned flags, int f, uint64_t off)
{
	struct scn_stmt st = st0(SCN_OP_MMAP);
	struct scn_args a = args0();

	st.proc = p;
	st.prot = prot;
	st.flags = flags;
	st.file = f;
	a.addr_any = addr == ANY;
	a.addr = addr == ANY ? 0 : addr;
	a.len = len;
	a.off = off;
	return run(s, &st, &a);
}

/* munmap, mprotect, madvise, pageout, migrate, split: P ADDR LEN [PROT|ADVICE] */
static long long range_op(struct spec *s, enum scn_op op, int p, uint64_t addr, uint64_t len,
			  int prot_or_adv)
{
	struct scn_stmt st = st0(op);
	struct scn_args a = args0();

	st.proc = p;
	st.prot = prot_or_adv;
	st.advice = (enum scn_advice)prot_or_adv;
	a.addr = addr;
	a.len = len;
	return run(s, &st, &a);
}

#define munmap_(s, p, a, l) range_op(s, SCN_OP_MUNMAP, p, a, l, 0)
#define mprot(s, p, a, l, prot) range_op(s, SCN_OP_MPROTECT, p, a, l, prot)
#define madv(s, p, a, l, adv) range_op(s, SCN_OP_MADVISE, p, a, l, SCN_ADV_##adv)

static struct scn_data fill(unsigned char b, uint64_t len)
{
	struct scn_data d = { .kind = SCN_DATA_FILL, .fill = b, .len = len };

	return d;
}

static struct scn_data str(const char *text)
{
	struct scn_data d = { .kind = SCN_DATA_BYTES, .bytes = (unsigned char *)text,
			      .len = strlen(text) };

	return d;
}

static long long write_d(struct spec *s, int p, uint64_t addr, struct scn_data d)
{
	struct scn_stmt st = st0(SCN_OP_WRITE);
	struct scn_args a = args0();

	st.proc = p;
	st.data = d;
	a.addr = addr;
	return run(s, &st, &a);
}

#define wr(s, p, addr, b, len) write_d(s, p, addr, fill(b, len))

static long long read_(struct spec *s, int p, uint64_t addr, uint64_t len, unsigned char *buf)
{
	struct scn_stmt st = st0(SCN_OP_READ);
	struct scn_args a = args0();
	uint64_t n = UINT64_MAX;
	long long r;

	st.proc = p;
	a.addr = addr;
	a.len = len;
	r = run_buf(s, &st, &a, buf, len, &n);
	if (r == DATA)
		T_EQ(n, len);
	return r;
}

static long long pwrite_d(struct spec *s, int f, uint64_t off, struct scn_data d)
{
	struct scn_stmt st = st0(SCN_OP_PWRITE);
	struct scn_args a = args0();

	st.file = f;
	st.data = d;
	a.off = off;
	return run(s, &st, &a);
}

/* pread: the number of bytes (>= 0) copied to buf, or an error code. */
static long long pread_(struct spec *s, int f, uint64_t off, uint64_t len, unsigned char *buf,
			uint64_t cap)
{
	struct scn_stmt st = st0(SCN_OP_PREAD);
	struct scn_args a = args0();
	uint64_t n = 0;
	long long r;

	st.file = f;
	a.off = off;
	a.len = len;
	r = run_buf(s, &st, &a, buf, cap, &n);
	return r == DATA ? (long long)n : r;
}

/* The byte every one of the n bytes has, MIXED, or EMPTY. */
static long long same(const unsigned char *b, uint64_t n)
{
	for (uint64_t i = 1; i < n; i++)
		if (b[i] != b[0])
			return MIXED;
	return n ? b[0] : EMPTY;
}

/* read P ADDR LEN: the byte they all have, MIXED, or the error code. */
static long long rdf(struct spec *s, int p, uint64_t addr, uint64_t len)
{
	unsigned char *buf = malloc(len ? len : 1);
	long long r = read_(s, p, addr, len, buf);

	if (r == DATA)
		r = same(buf, len);
	free(buf);
	return r;
}

/* pread F OFF LEN: like rdf; the length must be @want. */
static long long prdf(struct spec *s, int f, uint64_t off, uint64_t len, uint64_t want)
{
	unsigned char *buf = malloc(want ? want : 1);
	long long r = pread_(s, f, off, len, buf, want);

	if (r >= 0) {
		T_EQ(r, want);
		r = same(buf, want);
	}
	free(buf);
	return r;
}

/* ------------------------------------------------------------------ */
/* Processes */

TEST(spec_process_esrch)
{
	struct spec *s = mk(SCN_THP_MADVISE);

	T_EQ(proc_op(s, SCN_OP_FORK, P, Q), -ESRCH);		/* never created */
	T_EQ(proc_op(s, SCN_OP_EXIT, P, -1), -ESRCH);
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV, ANON, 0), -ESRCH);
	T_EQ(proc_op(s, SCN_OP_PROC, P, -1), 0);
	T_ASSERT(spec_proc_exists(s, P));
	T_ASSERT(!spec_proc_exists(s, Q));
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV, ANON, 0), BASE - PG);
	T_EQ(proc_op(s, SCN_OP_EXIT, P, -1), 0);
	T_ASSERT(!spec_proc_exists(s, P));
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV, ANON, 0), -ESRCH);
	T_EQ(munmap_(s, P, BASE - PG, PG), -ESRCH);
	T_EQ(mprot(s, P, BASE - PG, PG, RO), -ESRCH);
	T_EQ(madv(s, P, BASE - PG, PG, DONTNEED), -ESRCH);
	T_EQ(range_op(s, SCN_OP_PAGEOUT, P, BASE - PG, PG, 0), -ESRCH);
	T_EQ(range_op(s, SCN_OP_MIGRATE, P, BASE - PG, 0, 0), -ESRCH);
	T_EQ(range_op(s, SCN_OP_SPLIT, P, BASE - PG, 0, 0), -ESRCH);
	T_EQ(rdf(s, P, BASE - PG, 1), -ESRCH);
	T_EQ(wr(s, P, BASE - PG, 'x', 1), -ESRCH);
	T_EQ(proc_op(s, SCN_OP_FORK, P, Q), -ESRCH);
	T_ASSERT(!spec_proc_exists(s, Q));
	T_EQ(proc_op(s, SCN_OP_EXIT, P, -1), -ESRCH);
	/* a new P starts empty */
	T_EQ(proc_op(s, SCN_OP_PROC, P, -1), 0);
	T_EQ(rdf(s, P, BASE - PG, 1), SEGV);
	/* files that were never created (not in the contract: ENOENT) */
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, 0), -ENOENT);
	T_EQ(mmap_(s, P, ANY, PG, RW, SHRD, F, 0), -ENOENT);
	spec_destroy(s);
}

/* ------------------------------------------------------------------ */
/* Files */

#define EXT4MAX 0xffffffff000ULL

/* ext4's largest file (probed): EFBIG past it, a pwrite across it is cut short */
TEST(spec_file_ext4_maxbytes)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	unsigned char b[4];

	T_EQ(file_op(s, SCN_OP_FILE, F, MAXLFS + 1), -EINVAL);
	T_EQ(file_op(s, SCN_OP_FILE, F, EXT4MAX + 1), -EFBIG);
	T_EQ(file_op(s, SCN_OP_FILE, F, EXT4MAX), 0);
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, EXT4MAX + 1), -EFBIG);
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, MAXLFS + 1), -EINVAL);
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, 0), 0);
	T_EQ(pwrite_d(s, F, EXT4MAX, str("x")), -EFBIG);
	T_EQ(pwrite_d(s, F, EXT4MAX, str("")), 0);		/* nothing to write: no check */
	T_EQ(pwrite_d(s, F, EXT4MAX - 1, str("xy")), 0);	/* one byte written */
	T_EQ(pread_(s, F, EXT4MAX - 2, 4, b, sizeof(b)), 2);
	T_MEMEQ(b, "\0x", 2);
	spec_destroy(s);
}

TEST(spec_file_pread_pwrite)
{
	struct spec *s = mk_files(SCN_THP_MADVISE, SCN_FILES_MEMFD);
	unsigned char b[16];

	T_EQ(file_op(s, SCN_OP_FILE, F, MAXLFS + 1), -EINVAL);	/* a negative off_t */
	T_EQ(file_op(s, SCN_OP_FILE, F2, MAXLFS), 0);		/* tmpfs: up to MAX_LFS_FILESIZE */
	T_EQ(file_op(s, SCN_OP_FILE, F, 10000), 0);
	T_EQ(prdf(s, F, 0, 20000, 10000), 0);			/* SIZE zero bytes, short at EOF */
	T_EQ(prdf(s, F, 9990, 100, 10), 0);
	T_EQ(prdf(s, F, 10000, 100, 0), EMPTY);			/* empty */
	T_EQ(prdf(s, F, 50000, 100, 0), EMPTY);
	T_EQ(prdf(s, F, 0, 0, 0), EMPTY);
	T_EQ(pread_(s, F, MAXLFS + 1, 0, b, 0), -EINVAL);
	T_EQ(pread_(s, F, MAXLFS, 0, b, 0), 0);
	/* OFF + LEN > MAX_LFS_FILESIZE: EINVAL as in Linux's rw_verify_area */
	T_EQ(pread_(s, F, MAXLFS - 10, 100, b, 0), -EINVAL);
	T_EQ(pread_(s, F, MAXLFS - 100, 100, b, 0), 0);
	/* the buffer is at 0x10000: a LEN that reaches past TASK_SIZE is EFAULT (access_ok) */
	T_EQ(pread_(s, F, 0, UINT64_MAX, b, 0), -EFAULT);
	T_EQ(pread_(s, F, 0, 0x7ffffffef001ULL, b, 0), -EFAULT);
	T_EQ(prdf(s, F, 0, 0x7ffffffef000ULL, 10000), 0);	/* the longest buffer there is */
	T_EQ(pread_(s, F, MAXLFS + 1, UINT64_MAX, b, 0), -EINVAL);	/* the offset first */
	T_EQ(pread_(s, F, MAXLFS - 10, 0x7ffffffef001ULL, b, 0), -EFAULT);	/* then the buffer */
	T_EQ(pwrite_d(s, F, 0, fill('x', 0x7ffffffef001ULL)), -EFAULT);
	T_EQ(pwrite_d(s, F, MAXLFS + 1, fill('x', 0x7ffffffef001ULL)), -EINVAL);

	T_EQ(pwrite_d(s, F, MAXLFS + 1, str("")), -EINVAL);
	T_EQ(pwrite_d(s, F, MAXLFS - 2, str("abcd")), -EINVAL);
	T_EQ(pwrite_d(s, F, 20000, str("")), 0);		/* empty: no effect */
	T_EQ(prdf(s, F, 0, 30000, 10000), 0);
	T_EQ(pwrite_d(s, F, 4094, str("hello")), 0);		/* across a page boundary */
	T_EQ(pread_(s, F, 4093, 7, b, sizeof(b)), 7);
	T_MEMEQ(b, "\0hello\0", 7);
	T_EQ(pwrite_d(s, F, 12000, fill('z', 3000)), 0);	/* grows to 15000 */
	T_EQ(prdf(s, F, 12000, 5000, 3000), 'z');
	T_EQ(prdf(s, F, 10000, 2000, 2000), 0);
	T_EQ(pwrite_d(s, F2, MAXLFS - 1, str("q")), 0);	/* the last byte there is */
	T_EQ(pread_(s, F2, MAXLFS - 1, 1, b, 1), 1);
	T_EQ(b[0], 'q');
	T_EQ(pread_(s, F2, 5, 3, b, 3), 3);
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, MAXLFS + 1), -EINVAL);	/* Linux: EINVAL, not EFBIG */
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, 5), 0);
	T_EQ(prdf(s, F, 0, 100, 5), 0);
	spec_destroy(s);
}

/*
 * Growing (docs/semantics.md, ext4's behaviour): truncate up zeroes the
 * whole old tail [old, round_up(old)); pwrite at OFF zeroes only
 * [old, min(OFF, round_up(old))), so a shared mapping's writes above OFF
 * in the old last page survive a pwrite inside the page.
 * page 0:  [0..1000) file | [1000..4096) 0xee written through the mapping
 */
TEST(spec_file_growing_rule)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t a;

	proc_op(s, SCN_OP_PROC, P, -1);
	file_op(s, SCN_OP_FILE, F, 1000);
	a = (uint64_t)mmap_(s, P, ANY, 2 * PG, RW, SHRD, F, 0);
	T_EQ(wr(s, P, a + 1000, 0xee, PG - 1000), 0);		/* beyond EOF, same page */
	T_EQ(wr(s, P, a + PG, 0xee, 1), BUS);
	T_EQ(prdf(s, F, 0, PG, 1000), 0);			/* read(2) never shows them */
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, 2000), 0);		/* grow within the page */
	T_EQ(rdf(s, P, a + 1000, 1000), 0);
	T_EQ(rdf(s, P, a + 2000, PG - 2000), 0);		/* the whole old tail */
	T_EQ(wr(s, P, a + 2000, 0xee, PG - 2000), 0);		/* beyond EOF again */
	T_EQ(pwrite_d(s, F, 2999, str("k")), 0);		/* grow 2000 -> 3000 */
	T_EQ(rdf(s, P, a + 2000, 999), 0);
	T_EQ(rdf(s, P, a + 2999, 1), 'k');
	T_EQ(rdf(s, P, a + 3000, PG - 3000), 0xee);
	T_EQ(pwrite_d(s, F, 5000, str("y")), 0);		/* grow past the page */
	T_EQ(rdf(s, P, a + 3000, PG - 3000), 0);
	T_EQ(rdf(s, P, a + PG, 5000 - PG), 0);
	T_EQ(prdf(s, F, 0, 10000, 5001), MIXED);
	/* same-size truncate zeroes the tail, as Linux does (tmpfs and ext4) */
	T_EQ(wr(s, P, a + 5001, 0xee, 2 * PG - 5001), 0);
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, 5001), 0);
	T_EQ(rdf(s, P, a + 5001, 2 * PG - 5001), 0);
	spec_destroy(s);
}

/* tmpfs (config files=memfd): growing zeroes nothing (probed) */
TEST(spec_file_growing_tmpfs)
{
	struct spec *s = mk_files(SCN_THP_MADVISE, SCN_FILES_MEMFD);
	uint64_t a;

	proc_op(s, SCN_OP_PROC, P, -1);
	file_op(s, SCN_OP_FILE, F, 1000);
	a = (uint64_t)mmap_(s, P, ANY, 2 * PG, RW, SHRD, F, 0);
	T_EQ(wr(s, P, a + 1000, 0xee, PG - 1000), 0);		/* beyond EOF, same page */
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, 2000), 0);		/* grow within the page */
	T_EQ(rdf(s, P, a + 1000, PG - 1000), 0xee);		/* kept */
	T_EQ(prdf(s, F, 1000, 2000, 1000), 0xee);
	T_EQ(pwrite_d(s, F, 2999, str("k")), 0);		/* grow 2000 -> 3000 */
	T_EQ(rdf(s, P, a + 2000, 999), 0xee);
	T_EQ(rdf(s, P, a + 3000, PG - 3000), 0xee);
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, 3000), 0);		/* same size: the tail is zeroed */
	T_EQ(rdf(s, P, a + 3000, PG - 3000), 0);
	spec_destroy(s);
}

/* ------------------------------------------------------------------ */
/* Address choice (mmap step 7) */

TEST(spec_mmap_topdown)
{
	struct spec *s = mk(SCN_THP_MADVISE);

	proc_op(s, SCN_OP_PROC, P, -1);
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV, ANON, 0), BASE - PG);
	T_EQ(mmap_(s, P, ANY, 1, RW, PRIV, ANON, 0), BASE - 2 * PG);	/* LEN rounded up */
	T_EQ(mmap_(s, P, ANY, 2 * PG, RW, SHRD, ANON, 0), BASE - 4 * PG);
	T_EQ(munmap_(s, P, BASE - 2 * PG, PG), 0);
	T_EQ(mmap_(s, P, ANY, 2 * PG, RW, PRIV, ANON, 0), BASE - 6 * PG);	/* hole too small */
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV, ANON, 0), BASE - 2 * PG);	/* highest fit */
	T_EQ(mmap_(s, P, ANY, 3 * M, RW, PRIV, ANON, 0), BASE - 6 * PG - 3 * M);
	spec_destroy(s);
}

TEST(spec_mmap_hint)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t x = 0x300000000ULL;

	proc_op(s, SCN_OP_PROC, P, -1);
	T_EQ(mmap_(s, P, 0x200000000ULL, PG, RW, PRIV, ANON, 0), 0x200000000ULL);
	T_EQ(mmap_(s, P, 0x200000000ULL, PG, RW, PRIV, ANON, 0), BASE - PG);	/* taken */
	/* rounded down (probe: hint 0x200000123 -> 0x200000000) */
	T_EQ(mmap_(s, P, 0x210000123ULL, PG, RW, PRIV, ANON, 0), 0x210000000ULL);
	/* below a page: no hint at all, as `any`, THP alignment included */
	T_EQ(mmap_(s, P, 0x800, PG, RW, PRIV, ANON, 0), BASE - 2 * PG);
	T_EQ(mmap_(s, P, 0, 2 * M, RW, PRIV, ANON, 0), 0x7ffff7c00000ULL);
	/* below mmap_min_addr: mmap_min_addr */
	T_EQ(mmap_(s, P, 0x1000, 2 * M, RW, PRIV, ANON, 0), 0x10000);
	/* H + LEN > TASK_SIZE: searched */
	T_EQ(mmap_(s, P, TASK - PG, 2 * PG, RW, PRIV, ANON, 0), 0x7ffff7ffb000ULL);
	T_EQ(mmap_(s, P, TASK - PG, PG, RW, PRIV, ANON, 0), TASK - PG);
	T_EQ(mmap_(s, P, BASE + 16 * PG, PG, RW, PRIV, ANON, 0), BASE + 16 * PG);
	/* growsdown G at X, V at X-512K (inside G's guard): below V the hint is
	 * free (only the next mapping's guard counts; probe), above V it is not */
	T_EQ(mmap_(s, P, x, 64 * K, RW, PRIV | FIXED | GROWS, ANON, 0), x);
	T_EQ(mmap_(s, P, x - 512 * K, PG, RW, PRIV | FIXED, ANON, 0), x - 512 * K);
	T_EQ(mmap_(s, P, x - 600 * K, PG, RW, PRIV, ANON, 0), x - 600 * K);
	T_EQ(mmap_(s, P, x - 400 * K, PG, RW, PRIV, ANON, 0), 0x7ffff7ffa000ULL);
	T_EQ(mmap_(s, P, x - 2 * PG, PG, RW, PRIV, ANON, 0), 0x7ffff7ff9000ULL);
	T_EQ(mmap_(s, P, x - M - PG, PG, RW, PRIV, ANON, 0), x - M - PG);
	spec_destroy(s);
}

TEST(spec_mmap_fixed)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t a = 0x100000000ULL;

	proc_op(s, SCN_OP_PROC, P, -1);
	/* ENOMEM (ADDR + LEN > TASK_SIZE) before EINVAL (unaligned), as Linux */
	T_EQ(mmap_(s, P, TASK + 1, PG, RW, PRIV | FIXED, ANON, 0), -ENOMEM);
	T_EQ(mmap_(s, P, TASK - PG + 1, PG, RW, PRIV | FIXED, ANON, 0), -ENOMEM);
	T_EQ(mmap_(s, P, a + 1, PG, RW, PRIV | FIXED, ANON, 0), -EINVAL);
	T_EQ(mmap_(s, P, a + 1, PG, RW, PRIV | NOREPL, ANON, 0), -EINVAL);
	T_EQ(mmap_(s, P, TASK - PG, 2 * PG, RW, PRIV | FIXED, ANON, 0), -ENOMEM);
	T_EQ(mmap_(s, P, TASK - PG, PG, RW, PRIV | FIXED, ANON, 0), TASK - PG);
	T_EQ(mmap_(s, P, 0x1000, PG, RW, PRIV | FIXED, ANON, 0), 0x1000);	/* privileged */
	T_EQ(mmap_(s, P, a, 3 * PG, RW, PRIV | FIXED, ANON, 0), a);
	T_EQ(wr(s, P, a, 'x', 3 * PG), 0);
	T_EQ(mmap_(s, P, a + PG, PG, RW, PRIV | NOREPL, ANON, 0), -EEXIST);
	T_EQ(rdf(s, P, a, 3 * PG), 'x');
	T_EQ(mmap_(s, P, a + PG, PG, RW, PRIV | FIXED, ANON, 0), a + PG);	/* replaces */
	T_EQ(rdf(s, P, a, PG), 'x');
	T_EQ(rdf(s, P, a + PG, PG), 0);
	T_EQ(rdf(s, P, a + 2 * PG, PG), 'x');
	T_EQ(mmap_(s, P, a + 3 * PG, PG, RW, PRIV | NOREPL, ANON, 0), a + 3 * PG);
	T_EQ(rdf(s, P, a + 3 * PG, PG), 0);
	spec_destroy(s);
}

TEST(spec_mmap_errors)
{
	struct spec *s = mk(SCN_THP_MADVISE);

	proc_op(s, SCN_OP_PROC, P, -1);
	file_op(s, SCN_OP_FILE, F, 8192);
	T_EQ(mmap_(s, P, ANY, 0, RW, PRIV, ANON, 0), -EINVAL);			/* 1 */
	T_EQ(mmap_(s, P, ANY, UINT64_MAX, RW, PRIV, ANON, 0), -ENOMEM);		/* 3 */
	T_EQ(mmap_(s, P, ANY, 0, RW, PRIV, F, 1), -EINVAL);
	/* unaligned OFF before step 3 (probe: OFF 1, LEN -1 is EINVAL) */
	T_EQ(mmap_(s, P, ANY, UINT64_MAX, RW, PRIV, F, 1), -EINVAL);
	T_EQ(mmap_(s, P, ANY, UINT64_MAX, RW, PRIV, F, 0), -ENOMEM);
	T_EQ(mmap_(s, P, ANY, TASK + 1, RW, PRIV, ANON, 0), -ENOMEM);		/* 7 */
	T_EQ(mmap_(s, P, ANY, 1ULL << 47, RW, PRIV, ANON, 0), -ENOMEM);	/* no room */
	/* 9: OFF/4096 > (MAX_LFS - LEN)/4096 */
	T_EQ(mmap_(s, P, ANY, 2 * PG, RW, PRIV, F, 0x7fffffffffffe000ULL), -EOVERFLOW);
	T_EQ(mmap_(s, P, ANY, 2 * PG, RW, PRIV, F, 0x7fffffffffffd000ULL), BASE - 2 * PG);
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV | GROWS, F, 0x7ffffffffffff000ULL), -EOVERFLOW);
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV | GROWS, F, 0), -EINVAL);
	T_EQ(mmap_(s, P, ANY, PG, RW, SHRD | GROWS, ANON, 0), -EINVAL);
	T_EQ(mmap_(s, P, ANY, PG, RW, SHRD | GROWS, F, 0), -EINVAL);
	/* 8 before 9 */
	T_EQ(mmap_(s, P, BASE - 2 * PG, PG, RW, PRIV | NOREPL | GROWS, F, 0), -EEXIST);
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV | GROWS, ANON, 0), BASE - 3 * PG);
	spec_destroy(s);
}

/*
 * The guard gap of a growsdown mapping G at the top of the search:
 *   [ ...free... ][V 4K][4K][ G 64K ] mmap_base
 * Linux checks only the mapping just above the gap it found (probes:
 * any 16K -> G-24K, then any 4K -> G-1M-4K).
 */
TEST(spec_mmap_guard_gap)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t g = BASE - 64 * K;

	proc_op(s, SCN_OP_PROC, P, -1);
	T_EQ(mmap_(s, P, g, 64 * K, RW, PRIV | FIXED | GROWS, ANON, 0), g);
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV, ANON, 0), g - M - PG);
	T_EQ(munmap_(s, P, g - M - PG, PG), 0);
	T_EQ(mmap_(s, P, g - 2 * PG, PG, RW, PRIV | FIXED, ANON, 0), g - 2 * PG);
	T_EQ(mmap_(s, P, ANY, 16 * K, RW, PRIV, ANON, 0), g - 24 * K);
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV, ANON, 0), 0x7ffff7eee000ULL);
	T_EQ(0x7ffff7eee000ULL, g - M - PG);
	spec_destroy(s);
}

/*
 * THP alignment: round_down(gap_end - LEN, 2 MiB) in the highest gap of at
 * least LEN + 2 MiB, for anonymous mappings (private or shared) with no
 * hint and LEN a multiple of 2 MiB.
 */
TEST(spec_mmap_thp_align)
{
	struct spec *s = mk(SCN_THP_MADVISE);

	proc_op(s, SCN_OP_PROC, P, -1);
	file_op(s, SCN_OP_FILE, F, 8 * M);
	T_EQ(mmap_(s, P, ANY, 2 * M, RW, PRIV, ANON, 0), 0x7ffff7c00000ULL);
	T_EQ(munmap_(s, P, 0x7ffff7c00000ULL, 2 * M), 0);
	/* gap_end not aligned (X = [BASE-4K, BASE)): round_down(BASE-4K-2M) */
	T_EQ(mmap_(s, P, BASE - PG, PG, RW, PRIV | FIXED, ANON, 0), BASE - PG);
	T_EQ(mmap_(s, P, ANY, 2 * M, RW, PRIV, ANON, 0), 0x7ffff7c00000ULL);
	/* gap_end aligned: exactly gap_end - LEN; shared anonymous too */
	T_EQ(mmap_(s, P, ANY, 4 * M, RW, SHRD, ANON, 0), 0x7ffff7800000ULL);
	T_EQ(mmap_(s, P, ANY, 2 * M, RW, PRIV, ANON, 0), 0x7ffff7600000ULL);
	/* an exact 2 MiB gap at 0x7ffff7800000 is too small for LEN + 2 MiB */
	T_EQ(munmap_(s, P, 0x7ffff7800000ULL, 2 * M), 0);
	T_EQ(mmap_(s, P, ANY, 2 * M, RW, PRIV, ANON, 0), 0x7ffff7400000ULL);
	/* not aligned: 3 MiB; a file (it takes the exact gap); a hint not free */
	T_EQ(mmap_(s, P, ANY, 3 * M, RW, PRIV, ANON, 0), 0x7ffff7100000ULL);
	T_EQ(mmap_(s, P, ANY, 2 * M, RW, PRIV, F, 0), 0x7ffff7800000ULL);
	T_EQ(mmap_(s, P, 0x7ffff7400000ULL, 2 * M, RW, PRIV, ANON, 0), 0x7ffff6f00000ULL);
	/* growsdown anonymous is aligned too (probe) */
	T_EQ(mmap_(s, P, ANY, 2 * M, RW, PRIV | GROWS, ANON, 0), 0x7ffff6c00000ULL);
	spec_destroy(s);

	s = mk(SCN_THP_NEVER);
	proc_op(s, SCN_OP_PROC, P, -1);
	T_EQ(mmap_(s, P, ANY, 2 * M, RW, PRIV, ANON, 0), BASE - 2 * M);
	T_EQ(mmap_(s, P, ANY, 4 * M, RW, SHRD, ANON, 0), BASE - 6 * M);
	spec_destroy(s);
}

/*
 * Bottom-up fallback: with [mmap_min_addr, mmap_base) full, the search goes
 * up from TASK_UNMAPPED_BASE; [4096, mmap_min_addr) is never searched
 * (Linux raises the low limit to mmap_min_addr).  The THP padded search
 * does the same before the plain one (probes: 2M -> 0x7ffff8000000, 4K ->
 * 0x7ffff7fff000, 2M -> 0x7ffff8400000).
 */
TEST(spec_mmap_bottomup)
{
	struct spec *s = mk(SCN_THP_MADVISE);

	proc_op(s, SCN_OP_PROC, P, -1);
	T_EQ(mmap_(s, P, 0x10000, BASE - 0x10000, NONE, PRIV | FIXED, ANON, 0), 0x10000);
	T_EQ(mmap_(s, P, ANY, 2 * M, RW, PRIV, ANON, 0), 0x7ffff8000000ULL);
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV, ANON, 0), BASE);
	T_EQ(mmap_(s, P, ANY, 2 * M, RW, PRIV, ANON, 0), 0x7ffff8400000ULL);
	T_EQ(mmap_(s, P, 0x2000, PG, RW, PRIV, ANON, 0), 0x7ffff8200000ULL);	/* 0x10000 taken */
	/* everything full: ENOMEM; fixed still works below mmap_min_addr */
	T_EQ(mmap_(s, P, BASE, TASK - BASE, NONE, PRIV | FIXED, ANON, 0), BASE);
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV, ANON, 0), -ENOMEM);
	T_EQ(mmap_(s, P, ANY, 2 * M, RW, PRIV, ANON, 0), -ENOMEM);
	T_EQ(mmap_(s, P, 0x1000, PG, RW, PRIV | FIXED, ANON, 0), 0x1000);
	T_EQ(munmap_(s, P, 0x40000000ULL, 8 * PG), 0);
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV, ANON, 0), 0x40000000ULL + 7 * PG);
	spec_destroy(s);

	s = mk(SCN_THP_NEVER);
	proc_op(s, SCN_OP_PROC, P, -1);
	T_EQ(mmap_(s, P, 0x10000, BASE - 0x10000, NONE, PRIV | FIXED, ANON, 0), 0x10000);
	T_EQ(mmap_(s, P, ANY, 2 * M, RW, PRIV, ANON, 0), BASE);
	spec_destroy(s);
}

/* ------------------------------------------------------------------ */
/* munmap, mprotect */

TEST(spec_munmap)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t a = 0x100000000ULL;

	proc_op(s, SCN_OP_PROC, P, -1);
	T_EQ(munmap_(s, P, a + 1, PG), -EINVAL);
	T_EQ(munmap_(s, P, TASK + PG, PG), -EINVAL);
	T_EQ(munmap_(s, P, TASK, 1), -EINVAL);
	T_EQ(munmap_(s, P, TASK, 0), -EINVAL);
	T_EQ(munmap_(s, P, TASK - PG, 2 * PG), -EINVAL);
	T_EQ(munmap_(s, P, a, 0), -EINVAL);
	T_EQ(munmap_(s, P, a, 1), 0);				/* nothing there: fine */
	T_EQ(mmap_(s, P, a, 4 * PG, RW, PRIV | FIXED, ANON, 0), a);
	T_EQ(wr(s, P, a, 'x', 4 * PG), 0);
	T_EQ(munmap_(s, P, a + PG, PG + 1), 0);			/* cuts the middle 2 pages */
	T_EQ(rdf(s, P, a, PG), 'x');
	T_EQ(rdf(s, P, a + PG, 1), SEGV);
	T_EQ(rdf(s, P, a + 2 * PG, 1), SEGV);
	T_EQ(rdf(s, P, a + 3 * PG, PG), 'x');
	T_EQ(munmap_(s, P, a - PG, 6 * PG), 0);			/* holes are fine */
	T_EQ(rdf(s, P, a, 1), SEGV);
	T_EQ(mmap_(s, P, a, 4 * PG, RW, PRIV | FIXED, ANON, 0), a);
	T_EQ(rdf(s, P, a, 4 * PG), 0);				/* new pages read zero */
	spec_destroy(s);
}

TEST(spec_mprotect)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t a = 0x100000000ULL;

	proc_op(s, SCN_OP_PROC, P, -1);
	T_EQ(mprot(s, P, a + 1, PG, RO), -EINVAL);
	T_EQ(mprot(s, P, a + 1, 0, RO), -EINVAL);
	T_EQ(mprot(s, P, a, 0, RO), 0);				/* LEN 0, nothing mapped */
	T_EQ(mprot(s, P, 0 - PG, PG, RO), -ENOMEM);		/* wraps */
	T_EQ(mprot(s, P, a, UINT64_MAX, RO), -ENOMEM);
	T_EQ(mprot(s, P, a, PG, RO), -ENOMEM);
	/*  a: [RW RW] hole [RW]  */
	mmap_(s, P, a, 2 * PG, RW, PRIV | FIXED, ANON, 0);
	mmap_(s, P, a + 3 * PG, PG, RW, PRIV | FIXED, ANON, 0);
	T_EQ(mprot(s, P, a + 2 * PG, 2 * PG, NONE), -ENOMEM);	/* starts in the hole */
	T_EQ(wr(s, P, a + 3 * PG, 'c', 1), 0);			/* unchanged */
	T_EQ(mprot(s, P, a, 4 * PG, RO), -ENOMEM);		/* hole after 2 pages */
	T_EQ(wr(s, P, a, 'x', 1), SEGV);
	T_EQ(wr(s, P, a + PG, 'x', 1), SEGV);
	T_EQ(wr(s, P, a + 3 * PG, 'c', 1), 0);			/* after the hole: unchanged */
	T_EQ(mprot(s, P, a + PG, 40 * PG, NONE), -ENOMEM);
	T_EQ(rdf(s, P, a, 1), 0);
	T_EQ(rdf(s, P, a + PG, 1), SEGV);
	T_EQ(mprot(s, P, a, 1, RW), 0);				/* one page */
	T_EQ(wr(s, P, a, 'x', PG), 0);
	T_EQ(wr(s, P, a + PG, 'x', 1), SEGV);
	T_EQ(mprot(s, P, a, 2 * PG, RW), 0);
	T_EQ(wr(s, P, a, 'y', 2 * PG), 0);
	T_EQ(rdf(s, P, a, 2 * PG), 'y');
	spec_destroy(s);
}

/* ------------------------------------------------------------------ */
/* Reads and writes */

TEST(spec_read_write)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t a = 0x100000000ULL;
	unsigned char b[16];
	struct scn_stmt st = st0(SCN_OP_READ);
	struct scn_args ar = args0();
	struct scn_outcome o;

	proc_op(s, SCN_OP_PROC, P, -1);
	st.proc = P;
	ar.addr = 0x1234;
	spec_exec(s, &st, &ar, NULL, &o);			/* LEN 0: empty, no mapping looked at */
	T_EQ(o.kind, SCN_RES_DATA);
	T_EQ(o.len, 0);
	T_ASSERT(o.data != NULL);
	free(o.data);
	T_EQ(write_d(s, P, 0x1234, str("")), 0);
	T_EQ(rdf(s, P, a, 1), SEGV);
	T_EQ(rdf(s, P, TASK, 1), SEGV);
	T_EQ(rdf(s, P, 0 - PG, 2 * PG), SEGV);
	T_EQ(wr(s, P, 0 - 1, 'x', 2), SEGV);
	mmap_(s, P, a, 2 * PG, RW, PRIV | FIXED, ANON, 0);
	mmap_(s, P, a + 2 * PG, PG, RO, PRIV | FIXED, ANON, 0);
	mmap_(s, P, a + 3 * PG, PG, NONE, PRIV | FIXED, ANON, 0);
	T_EQ(rdf(s, P, a, 2 * PG), 0);				/* reads zero until written */
	T_EQ(write_d(s, P, a + PG - 2, str("hello")), 0);	/* across pages */
	T_EQ(read_(s, P, a + PG - 3, 7, b), DATA);
	T_MEMEQ(b, "\0hello\0", 7);
	T_EQ(wr(s, P, a + PG, 'w', 2 * PG), SEGV);		/* stops at the r page */
	T_EQ(rdf(s, P, a + PG, PG), 'w');			/* earlier page stays written */
	T_EQ(rdf(s, P, a + 2 * PG, PG), 0);
	T_EQ(rdf(s, P, a + PG, 3 * PG), SEGV);			/* PROT none: only the signal */
	T_EQ(rdf(s, P, a + 3 * PG, 1), SEGV);
	T_EQ(wr(s, P, a + 3 * PG, 'x', 1), SEGV);
	/* a large FILL costs nothing per page */
	T_EQ(mmap_(s, P, ANY, 1024 * M, RW, PRIV, ANON, 0), 0x7fffb7e00000ULL);
	T_EQ(wr(s, P, 0x7fffb7e00000ULL, 'L', 1024 * M), 0);
	T_EQ(rdf(s, P, 0x7fffb7e00000ULL + 512 * M - 10, 20), 'L');
	T_EQ(write_d(s, P, 0x7fffb7e00000ULL + 5, str("ab")), 0);
	T_EQ(read_(s, P, 0x7fffb7e00000ULL + 4, 4, b), DATA);
	T_MEMEQ(b, "LabL", 4);
	T_EQ(munmap_(s, P, 0x7fffb7e00000ULL, 1024 * M), 0);
	spec_destroy(s);
}

/*
 * Private file mappings follow the file until written; shared mappings are
 * the file; the bytes of the last page beyond EOF are seen by both.
 */
TEST(spec_private_file_follows)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t pv, sh;

	proc_op(s, SCN_OP_PROC, P, -1);
	file_op(s, SCN_OP_FILE, F, 2 * PG + 100);
	pv = (uint64_t)mmap_(s, P, ANY, 4 * PG, RW, PRIV, F, 0);
	sh = (uint64_t)mmap_(s, P, ANY, 4 * PG, RW, SHRD, F, 0);
	T_EQ(pwrite_d(s, F, 0, fill('f', 2 * PG + 100)), 0);
	T_EQ(rdf(s, P, pv, 2 * PG + 100), 'f');
	T_EQ(rdf(s, P, pv + 2 * PG + 100, PG - 100), 0);
	T_EQ(wr(s, P, sh + 2 * PG + 100, 't', PG - 100), 0);	/* beyond EOF, last page */
	T_EQ(rdf(s, P, pv + 2 * PG + 100, PG - 100), 't');
	T_EQ(rdf(s, P, pv + 3 * PG, 1), BUS);
	T_EQ(wr(s, P, pv + 3 * PG, 'x', 1), BUS);
	T_EQ(rdf(s, P, sh + 3 * PG, 1), BUS);
	T_EQ(wr(s, P, pv + PG, 'p', 1), 0);			/* page 1 becomes a copy */
	T_EQ(pwrite_d(s, F, 0, fill('g', 2 * PG)), 0);
	T_EQ(rdf(s, P, pv, PG), 'g');				/* follows */
	T_EQ(rdf(s, P, pv + PG, 1), 'p');			/* the copy does not */
	T_EQ(rdf(s, P, pv + PG + 1, PG - 1), 'f');		/* copied as it was */
	T_EQ(rdf(s, P, sh + PG, PG), 'g');
	T_EQ(prdf(s, F, PG, PG, PG), 'g');			/* the file never sees 'p' */
	T_EQ(wr(s, P, sh, 's', 10), 0);				/* a shared write is the file's */
	T_EQ(prdf(s, F, 0, 10, 10), 's');
	T_EQ(rdf(s, P, pv, 10), 's');
	/* another process sees the same file */
	proc_op(s, SCN_OP_PROC, Q, -1);
	T_EQ(mmap_(s, Q, ANY, PG, RO, SHRD, F, PG), BASE - PG);
	T_EQ(rdf(s, Q, BASE - PG, PG), 'g');
	T_EQ(mmap_(s, Q, ANY, PG, RO, PRIV, F, 2 * PG), BASE - 2 * PG);
	T_EQ(rdf(s, Q, BASE - 2 * PG, 100), 'f');
	spec_destroy(s);
}

/* ------------------------------------------------------------------ */
/* Fork: copy-on-write, three generations */

/*
 * P: [a a a]  fork -> Q; Q writes page 0, P writes page 1;
 * Q fork -> R; R writes page 2, then Q writes page 2.
 */
TEST(spec_fork_cow_anon)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	unsigned char b[8];
	uint64_t a;

	proc_op(s, SCN_OP_PROC, P, -1);
	a = (uint64_t)mmap_(s, P, ANY, 3 * PG, RW, PRIV, ANON, 0);
	T_EQ(wr(s, P, a, 'a', 3 * PG), 0);
	T_EQ(proc_op(s, SCN_OP_FORK, P, Q), 0);
	T_ASSERT(spec_proc_exists(s, Q));
	T_EQ(wr(s, Q, a, 'q', PG), 0);				/* child writes */
	T_EQ(wr(s, P, a + PG, 'p', PG), 0);			/* parent writes */
	T_EQ(proc_op(s, SCN_OP_FORK, Q, R), 0);
	T_EQ(wr(s, R, a + 2 * PG, 'r', PG), 0);
	T_EQ(wr(s, Q, a + 2 * PG, 'Q', PG), 0);
	T_EQ(rdf(s, P, a, PG), 'a');
	T_EQ(rdf(s, P, a + PG, PG), 'p');
	T_EQ(rdf(s, P, a + 2 * PG, PG), 'a');
	T_EQ(rdf(s, Q, a, PG), 'q');
	T_EQ(rdf(s, Q, a + PG, PG), 'a');
	T_EQ(rdf(s, Q, a + 2 * PG, PG), 'Q');
	T_EQ(rdf(s, R, a, PG), 'q');
	T_EQ(rdf(s, R, a + PG, PG), 'a');
	T_EQ(rdf(s, R, a + 2 * PG, PG), 'r');
	T_EQ(proc_op(s, SCN_OP_EXIT, Q, -1), 0);
	T_EQ(rdf(s, R, a, PG), 'q');
	T_EQ(rdf(s, P, a, PG), 'a');
	/* byte data (not a FILL) is copied too */
	T_EQ(write_d(s, P, a + 10, str("parent")), 0);
	T_EQ(proc_op(s, SCN_OP_FORK, P, P4), 0);
	T_EQ(write_d(s, P4, a + 10, str("child!")), 0);
	T_EQ(write_d(s, P, a + 12, str("PA")), 0);
	T_EQ(read_(s, P, a + 10, 6, b), DATA);
	T_MEMEQ(b, "paPAnt", 6);
	T_EQ(read_(s, P4, a + 10, 6, b), DATA);
	T_MEMEQ(b, "child!", 6);
	T_EQ(proc_op(s, SCN_OP_EXIT, P4, -1), 0);
	/* the child's mapping layout is the parent's */
	T_EQ(mmap_(s, R, ANY, PG, RW, PRIV, ANON, 0), a - PG);
	spec_destroy(s);
}

/*
 * Private file pages: a private copy is copied at fork; a page that
 * follows the file keeps following it in both; shared mappings (shared
 * anonymous included) stay shared.
 */
TEST(spec_fork_file_and_shared)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t pv, sa;

	proc_op(s, SCN_OP_PROC, P, -1);
	file_op(s, SCN_OP_FILE, F, 2 * PG);
	pv = (uint64_t)mmap_(s, P, ANY, 2 * PG, RW, PRIV, F, 0);
	sa = (uint64_t)mmap_(s, P, ANY, 2 * PG, RW, SHRD, ANON, 0);
	T_EQ(wr(s, P, pv, 'P', PG), 0);
	T_EQ(wr(s, P, sa, '1', PG), 0);
	T_EQ(proc_op(s, SCN_OP_FORK, P, Q), 0);
	T_EQ(rdf(s, Q, pv, PG), 'P');
	T_EQ(pwrite_d(s, F, 0, fill('f', 2 * PG)), 0);
	T_EQ(rdf(s, P, pv, PG), 'P');
	T_EQ(rdf(s, Q, pv, PG), 'P');
	T_EQ(rdf(s, P, pv + PG, PG), 'f');
	T_EQ(rdf(s, Q, pv + PG, PG), 'f');
	T_EQ(wr(s, Q, pv, 'q', PG), 0);				/* Q's copy is its own */
	T_EQ(rdf(s, P, pv, PG), 'P');
	T_EQ(wr(s, Q, pv + PG, 'Q', PG), 0);
	T_EQ(proc_op(s, SCN_OP_FORK, Q, R), 0);
	T_EQ(pwrite_d(s, F, PG, fill('g', PG)), 0);
	T_EQ(rdf(s, P, pv + PG, PG), 'g');
	T_EQ(rdf(s, Q, pv + PG, PG), 'Q');
	T_EQ(rdf(s, R, pv + PG, PG), 'Q');
	T_EQ(madv(s, R, pv + PG, PG, DONTNEED), 0);		/* R follows the file again */
	T_EQ(rdf(s, R, pv + PG, PG), 'g');
	T_EQ(rdf(s, Q, pv + PG, PG), 'Q');
	/* shared anonymous: one hidden file for P, Q, R */
	T_EQ(wr(s, R, sa + PG, '2', PG), 0);
	T_EQ(rdf(s, P, sa + PG, PG), '2');
	T_EQ(rdf(s, Q, sa, PG), '1');
	T_EQ(proc_op(s, SCN_OP_EXIT, P, -1), 0);
	T_EQ(proc_op(s, SCN_OP_EXIT, Q, -1), 0);
	T_EQ(rdf(s, R, sa, 2 * PG), MIXED);
	T_EQ(rdf(s, R, sa + PG, PG), '2');
	/* a new shared anonymous mapping is a new object */
	T_EQ(mmap_(s, R, sa, 2 * PG, RW, SHRD | FIXED, ANON, 0), sa);
	T_EQ(rdf(s, R, sa, 2 * PG), 0);
	spec_destroy(s);
}

/* ------------------------------------------------------------------ */
/* Truncate and mappings */

/*
 * F: 3 pages.  S shared, V private (copies of pages 0 and 2).
 * truncate 5000 (hole = 2): page 1 keeps [0,904), zero tail; page 2 gone.
 */
TEST(spec_truncate_mappings)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t sh, pv, pv2;

	proc_op(s, SCN_OP_PROC, P, -1);
	file_op(s, SCN_OP_FILE, F, 3 * PG);
	sh = (uint64_t)mmap_(s, P, ANY, 4 * PG, RW, SHRD, F, 0);
	pv = (uint64_t)mmap_(s, P, ANY, 4 * PG, RW, PRIV, F, 0);
	pv2 = (uint64_t)mmap_(s, P, ANY, 2 * PG, RW, PRIV, F, PG);	/* pages 1, 2 */
	T_EQ(wr(s, P, sh, 'a', 3 * PG), 0);
	T_EQ(wr(s, P, pv, 'p', 1), 0);
	T_EQ(wr(s, P, pv + 2 * PG, 'p', 1), 0);
	T_EQ(wr(s, P, pv2, 'q', PG), 0);			/* private copy of page 1 */
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, 5000), 0);
	T_EQ(prdf(s, F, 0, 3 * PG, 5000), 'a');
	T_EQ(rdf(s, P, sh, 5000), 'a');
	T_EQ(rdf(s, P, sh + 5000, 2 * PG - 5000), 0);		/* zeroed tail */
	T_EQ(rdf(s, P, sh + 2 * PG, 1), BUS);
	T_EQ(wr(s, P, sh + 3 * PG, 'x', 1), BUS);
	T_EQ(rdf(s, P, pv, 1), 'p');				/* copy below hole survives */
	T_EQ(rdf(s, P, pv + 1, PG - 1), 'a');
	T_EQ(rdf(s, P, pv + PG + 904, PG - 904), 0);		/* follows: zero tail */
	T_EQ(rdf(s, P, pv + 2 * PG, 1), BUS);			/* copy past EOF is gone */
	T_EQ(wr(s, P, pv + 2 * PG, 'x', 1), BUS);
	T_EQ(rdf(s, P, pv2, PG), 'q');				/* partial last page copy, tail too */
	T_EQ(rdf(s, P, pv2 + PG, 1), BUS);
	/* growing again: pages follow the file again, zeros where not written */
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, 4 * PG), 0);
	T_EQ(rdf(s, P, sh + 904 + PG, PG - 904), 0);
	T_EQ(rdf(s, P, sh + 2 * PG, 2 * PG), 0);
	T_EQ(rdf(s, P, pv + 2 * PG, 2 * PG), 0);
	T_EQ(pwrite_d(s, F, 2 * PG, fill('z', PG)), 0);
	T_EQ(rdf(s, P, pv + 2 * PG, PG), 'z');
	T_EQ(rdf(s, P, pv2 + PG, PG), 'z');
	T_EQ(rdf(s, P, pv2, PG), 'q');
	/* truncate to 0: everything SIGBUSes, private copies of page 0 included */
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, 0), 0);
	T_EQ(rdf(s, P, pv, 1), BUS);
	T_EQ(rdf(s, P, pv2, 1), BUS);
	T_EQ(prdf(s, F, 0, 10, 0), EMPTY);
	spec_destroy(s);
}

/* ------------------------------------------------------------------ */
/* growsdown */

TEST(spec_growsdown)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t g = 0x200000000ULL, h = 0x300000000ULL, st = 0x400000000ULL;
	uint64_t r = 0x500000000ULL;

	proc_op(s, SCN_OP_PROC, P, -1);
	T_EQ(mmap_(s, P, g, 64 * K, RW, PRIV | FIXED | GROWS, ANON, 0), g);
	T_EQ(rdf(s, P, g - PG, PG), 0);				/* extends; reads zero */
	T_EQ(wr(s, P, g - 100 * K, 'w', 100 * K), 0);		/* extends page by page */
	T_EQ(rdf(s, P, g - 100 * K, 100 * K), 'w');
	/* a mapping with PROT r ending 1M-8K below the page: within the guard */
	T_EQ(mmap_(s, P, g - M - 100 * K, PG, RO, PRIV | FIXED, ANON, 0), g - M - 100 * K);
	T_EQ(rdf(s, P, g - 104 * K, 1), SEGV);
	T_EQ(mprot(s, P, g - M - 100 * K, PG, NONE), 0);	/* PROT none does not count */
	T_EQ(rdf(s, P, g - 104 * K, 1), 0);
	/* exactly stack_guard_gap below: allowed; one page less: not */
	T_EQ(munmap_(s, P, g - M - 100 * K, PG), 0);
	T_EQ(mmap_(s, P, g - M - 200 * K, PG, RW, PRIV | FIXED, ANON, 0), g - M - 200 * K);
	T_EQ(rdf(s, P, g - 196 * K, 1), 0);
	T_EQ(rdf(s, P, g - 200 * K, 1), SEGV);
	/* a growsdown mapping below does not count */
	T_EQ(mmap_(s, P, h, 64 * K, RW, PRIV | FIXED | GROWS, ANON, 0), h);
	T_EQ(mmap_(s, P, h - 64 * K, PG, RO, PRIV | FIXED | GROWS, ANON, 0), h - 64 * K);
	T_EQ(rdf(s, P, h - 8 * K, 1), 0);
	T_EQ(rdf(s, P, h - 60 * K, 1), 0);			/* up to the one below */
	/* RLIMIT_STACK on the whole (merged) mapping */
	T_EQ(mmap_(s, P, st, 4 * M, RW, PRIV | FIXED | GROWS, ANON, 0), st);
	T_EQ(mmap_(s, P, st + 4 * M, 4 * M, RW, PRIV | FIXED | GROWS, ANON, 0), st + 4 * M);
	T_EQ(rdf(s, P, st - PG, 1), SEGV);			/* 8M + 4K */
	T_EQ(mprot(s, P, st + 4 * M, 4 * M, RO), 0);		/* now two mappings */
	T_EQ(rdf(s, P, st - PG, 1), 0);
	T_EQ(rdf(s, P, st - 4 * M, 1), 0);			/* exactly 8M */
	T_EQ(rdf(s, P, st - 4 * M - PG, 1), SEGV);
	/* expansion comes before the permission check and stays */
	T_EQ(mmap_(s, P, r, 2 * PG, RO, PRIV | FIXED | GROWS, ANON, 0), r);
	T_EQ(wr(s, P, r - PG, 'x', 1), SEGV);
	T_EQ(mprot(s, P, r - PG, PG, RW), 0);			/* mapped now */
	T_EQ(wr(s, P, r - PG, 'x', 1), 0);
	T_EQ(mprot(s, P, r - 2 * PG, PG, RW), -ENOMEM);
	/* not below mmap_min_addr; not for populate; not below a plain mapping */
	T_EQ(mmap_(s, P, 0x10000, 2 * PG, RW, PRIV | FIXED | GROWS, ANON, 0), 0x10000);
	T_EQ(rdf(s, P, 0xf000, 1), SEGV);
	T_EQ(madv(s, P, r - 2 * PG, PG, POPULATE_READ), -ENOMEM);
	T_EQ(mmap_(s, P, 0x600000000ULL, PG, RW, PRIV | FIXED, ANON, 0), 0x600000000ULL);
	T_EQ(rdf(s, P, 0x600000000ULL - PG, 1), SEGV);
	/* a read that faults later keeps the extension of its first pages */
	T_EQ(mprot(s, P, r, 2 * PG, NONE), 0);
	T_EQ(rdf(s, P, r - 3 * PG, 4 * PG), SEGV);
	T_EQ(mprot(s, P, r - 3 * PG, PG, RW), 0);
	spec_destroy(s);
}

/*
 * The kernel merges VMAs at mmap, mprotect and madvise, never when a stack
 * grows (probe, the same three cases on Linux 6.18: ok, ok, SIGSEGV):
 *   [H2 4K][.][ H 8M-8K ]   read h-4K grows H up to H2; H2 stays its own
 *   VMA, so H2 may grow (8K) below; after an mprotect that changes H2 and
 *   back, H2 and H are one VMA of 8M and cannot.
 */
TEST(spec_growsdown_merge)
{
	for (int variant = 0; variant < 3; variant++) {
		struct spec *s = mk(SCN_THP_MADVISE);
		uint64_t h = 0x300000000ULL;

		proc_op(s, SCN_OP_PROC, P, -1);
		T_EQ(mmap_(s, P, h, 8 * M - 2 * PG, RW, PRIV | FIXED | GROWS, ANON, 0), h);
		T_EQ(mmap_(s, P, h - 2 * PG, PG, RW, PRIV | FIXED | GROWS, ANON, 0), h - 2 * PG);
		T_EQ(rdf(s, P, h - PG, 1), 0);
		if (variant == 1)
			T_EQ(mprot(s, P, h - 2 * PG, 8 * M, RW), 0);	/* no change: no merge */
		if (variant == 2) {
			T_EQ(mprot(s, P, h - 2 * PG, PG, RO), 0);
			T_EQ(mprot(s, P, h - 2 * PG, PG, RW), 0);	/* merges with H */
		}
		T_EQ(rdf(s, P, h - 3 * PG, 1), variant == 2 ? SEGV : 0);
		spec_destroy(s);
	}
}

/* ------------------------------------------------------------------ */
/* madvise */

TEST(spec_madvise_checks)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t a = 0x100000000ULL;

	proc_op(s, SCN_OP_PROC, P, -1);
	T_EQ(madv(s, P, a + 1, PG, DONTNEED), -EINVAL);
	T_EQ(madv(s, P, a + 1, 0, DONTNEED), -EINVAL);
	T_EQ(madv(s, P, a, UINT64_MAX, DONTNEED), -EINVAL);	/* round_up(LEN) = 0 */
	T_EQ(madv(s, P, 0 - PG, 1, DONTNEED), -EINVAL);		/* ADDR + round_up(LEN) wraps */
	T_EQ(madv(s, P, 0 - 2 * PG, PG, DONTNEED), -ENOMEM);	/* ends at 2^64 - 4K */
	T_EQ(madv(s, P, a, 0, DONTNEED), 0);
	T_EQ(madv(s, P, a, PG, DONTNEED), -ENOMEM);
	T_EQ(madv(s, P, a, PG, WILLNEED), -ENOMEM);
	T_EQ(range_op(s, SCN_OP_PAGEOUT, P, a + 1, PG, 0), -EINVAL);
	T_EQ(range_op(s, SCN_OP_PAGEOUT, P, a, PG, 0), -ENOMEM);
	T_EQ(range_op(s, SCN_OP_PAGEOUT, P, a, 0, 0), 0);
	/*  a: [x] hole [x]  */
	mmap_(s, P, a, PG, RW, PRIV | FIXED, ANON, 0);
	mmap_(s, P, a + 2 * PG, PG, RW, PRIV | FIXED, ANON, 0);
	T_EQ(wr(s, P, a, 'x', PG), 0);
	T_EQ(wr(s, P, a + 2 * PG, 'x', PG), 0);
	T_EQ(range_op(s, SCN_OP_PAGEOUT, P, a, PG, 0), 0);
	T_EQ(range_op(s, SCN_OP_PAGEOUT, P, a, 3 * PG, 0), -ENOMEM);
	T_EQ(madv(s, P, a, PG, COLD), 0);
	T_EQ(madv(s, P, a, PG, PAGEOUT), 0);
	T_EQ(madv(s, P, a, 3 * PG, WILLNEED), -ENOMEM);
	T_EQ(madv(s, P, a + PG, PG, DONTNEED), -ENOMEM);	/* only the hole */
	T_EQ(rdf(s, P, a, PG), 'x');
	T_EQ(madv(s, P, a - PG, 4 * PG, DONTNEED), -ENOMEM);	/* holes: all handled */
	T_EQ(rdf(s, P, a, PG), 0);
	T_EQ(rdf(s, P, a + 2 * PG, PG), 0);
	T_EQ(madv(s, P, a, 3 * PG, HUGEPAGE), -ENOMEM);
	T_EQ(madv(s, P, a, PG, NOHUGEPAGE), 0);
	spec_destroy(s);
}

TEST(spec_madvise_dontneed)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t an, pf, sf, sa;

	proc_op(s, SCN_OP_PROC, P, -1);
	file_op(s, SCN_OP_FILE, F, 2 * PG);
	an = (uint64_t)mmap_(s, P, ANY, 2 * PG, RW, PRIV, ANON, 0);
	pf = (uint64_t)mmap_(s, P, ANY, 2 * PG, RW, PRIV, F, 0);
	sf = (uint64_t)mmap_(s, P, ANY, 2 * PG, RW, SHRD, F, 0);
	sa = (uint64_t)mmap_(s, P, ANY, 2 * PG, RW, SHRD, ANON, 0);
	T_EQ(wr(s, P, an, 'a', 2 * PG), 0);
	T_EQ(wr(s, P, pf, 'p', 2 * PG), 0);
	T_EQ(wr(s, P, sa, 's', 2 * PG), 0);
	T_EQ(pwrite_d(s, F, 0, fill('f', 2 * PG)), 0);
	T_EQ(madv(s, P, an, PG, DONTNEED), 0);
	T_EQ(rdf(s, P, an, PG), 0);				/* zero again */
	T_EQ(rdf(s, P, an + PG, PG), 'a');
	T_EQ(madv(s, P, pf + PG, PG, DONTNEED), 0);
	T_EQ(rdf(s, P, pf, PG), 'p');
	T_EQ(rdf(s, P, pf + PG, PG), 'f');			/* follows the file again */
	T_EQ(wr(s, P, sf, 'S', PG), 0);
	T_EQ(madv(s, P, sf, 2 * PG, DONTNEED), 0);
	T_EQ(rdf(s, P, sf, PG), 'S');				/* shared keep their data */
	T_EQ(madv(s, P, sa, 2 * PG, DONTNEED), 0);
	T_EQ(rdf(s, P, sa, 2 * PG), 's');
	spec_destroy(s);
}

/*
 * collapse: EINVAL for a mapping that is not anonymous, is nohugepage, or
 * holds no aligned 2 MiB range (the whole VMA counts: adjacent mappings
 * with equal attributes are one); otherwise not predicted.
 */
TEST(spec_madvise_collapse)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t a, y = 0x600000000ULL;

	proc_op(s, SCN_OP_PROC, P, -1);
	file_op(s, SCN_OP_FILE, F, 8 * M);
	a = (uint64_t)mmap_(s, P, ANY, 4 * M, RW, PRIV, ANON, 0);
	T_EQ(a, 0x7ffff7a00000ULL);
	T_EQ(madv(s, P, a, PG, COLLAPSE), UNPRED);
	T_EQ(madv(s, P, a, 4 * M, NOHUGEPAGE), 0);
	T_EQ(madv(s, P, a, PG, COLLAPSE), -EINVAL);
	T_EQ(madv(s, P, a, 4 * M, HUGEPAGE), 0);
	T_EQ(madv(s, P, a, PG, COLLAPSE), UNPRED);
	T_EQ(madv(s, P, a + 2 * M, 2 * M, NOHUGEPAGE), 0);
	T_EQ(madv(s, P, a + 2 * M, PG, COLLAPSE), -EINVAL);
	T_EQ(madv(s, P, a, 4 * M, COLLAPSE), UNPRED);		/* the first one decides */
	T_EQ(madv(s, P, a + 2 * M, 2 * M, HUGEPAGE), 0);	/* merges back: [a, a+4M) */
	T_EQ(madv(s, P, a + 3 * M, PG, COLLAPSE), UNPRED);
	T_EQ(mmap_(s, P, ANY, M, RW, PRIV, ANON, 0), BASE - M);	/* 1M: no aligned range */
	T_EQ(madv(s, P, BASE - M, PG, COLLAPSE), -EINVAL);
	T_EQ(mmap_(s, P, 0x7ffff7000000ULL, 3 * M, RW, PRIV | FIXED, ANON, 0),
	     0x7ffff7000000ULL);
	T_EQ(madv(s, P, 0x7ffff7000000ULL, PG, COLLAPSE), UNPRED);
	T_EQ(mmap_(s, P, 0x7ffff7100000ULL, 3 * M, RW, PRIV | FIXED, F, 0), 0x7ffff7100000ULL);
	T_EQ(madv(s, P, 0x7ffff7000000ULL, PG, COLLAPSE), -EINVAL);	/* now [..+1M) */
	T_EQ(madv(s, P, 0x7ffff7100000ULL, PG, COLLAPSE), -EINVAL);	/* a file */
	T_EQ(mmap_(s, P, ANY, 4 * M, RW, SHRD, F, 0), 0x7ffff7600000ULL);
	T_EQ(madv(s, P, 0x7ffff7600000ULL, PG, COLLAPSE), -EINVAL);
	T_EQ(mmap_(s, P, y, 4 * M, RW, SHRD, ANON, 0), y);	/* hint honoured */
	T_EQ(madv(s, P, y, PG, COLLAPSE), UNPRED);
	/* two adjacent 1M mappings are one 2M VMA */
	T_EQ(mmap_(s, P, y + 8 * M, M, RW, PRIV | FIXED, ANON, 0), y + 8 * M);
	T_EQ(madv(s, P, y + 8 * M, PG, COLLAPSE), -EINVAL);
	T_EQ(mmap_(s, P, y + 9 * M, M, RW, PRIV | FIXED, ANON, 0), y + 9 * M);
	T_EQ(madv(s, P, y + 8 * M, PG, COLLAPSE), UNPRED);
	T_EQ(mprot(s, P, y + 9 * M, M, RO), 0);
	T_EQ(madv(s, P, y + 8 * M, PG, COLLAPSE), -EINVAL);
	T_EQ(mmap_(s, P, y + 13 * M, M, RW, PRIV | FIXED, ANON, 0), y + 13 * M);
	T_EQ(mmap_(s, P, y + 12 * M, M, RW, PRIV | FIXED, ANON, 0), y + 12 * M);
	T_EQ(madv(s, P, y + 13 * M, PG, COLLAPSE), UNPRED);	/* merged with the one above */
	/* holes: ENOMEM when nothing is there; a hole first does not decide */
	T_EQ(madv(s, P, y + 16 * M, PG, COLLAPSE), -ENOMEM);	/* nothing up to y+16M+4K */
	T_EQ(madv(s, P, y - PG, 2 * PG, COLLAPSE), UNPRED);
	T_EQ(madv(s, P, y + 8 * M - PG, 2 * PG, COLLAPSE), -EINVAL);
	spec_destroy(s);
}

/*
 * populate_read / populate_write, page by page: ENOMEM (no mapping),
 * EINVAL (PROT none, or write without w), EFAULT (beyond EOF); the pages
 * before the failing one stay populated (probes on Linux 6.18).
 * F: 2 pages + 100 bytes (3 pages); mappings of 4 pages.
 */
TEST(spec_madvise_populate)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t pf, pr, a;

	proc_op(s, SCN_OP_PROC, P, -1);
	file_op(s, SCN_OP_FILE, F, 2 * PG + 100);
	pf = (uint64_t)mmap_(s, P, ANY, 4 * PG, RW, PRIV, F, 0);
	pr = (uint64_t)mmap_(s, P, ANY, 4 * PG, RO, PRIV, F, 0);
	T_EQ(madv(s, P, pf, 4 * PG, POPULATE_WRITE), -EFAULT);
	T_EQ(pwrite_d(s, F, 0, fill('Z', 2 * PG + 100)), 0);
	T_EQ(rdf(s, P, pf, 3 * PG), 0);				/* pages 0-2 are copies */
	T_EQ(rdf(s, P, pf + 3 * PG, 1), BUS);
	T_EQ(madv(s, P, pr, 4 * PG, POPULATE_WRITE), -EINVAL);
	T_EQ(madv(s, P, pr, 4 * PG, POPULATE_READ), -EFAULT);
	T_EQ(madv(s, P, pr, 2 * PG, POPULATE_READ), 0);
	T_EQ(pwrite_d(s, F, 0, fill('Y', PG)), 0);
	T_EQ(rdf(s, P, pr, PG), 'Y');				/* a read fault copies nothing */
	T_EQ(mprot(s, P, pr, PG, NONE), 0);
	T_EQ(madv(s, P, pr, 2 * PG, POPULATE_READ), -EINVAL);
	T_EQ(madv(s, P, pr + PG, 32 * PG, POPULATE_READ), -EFAULT);	/* EOF before the hole */
	T_EQ(madv(s, P, pr - PG, 2 * PG, POPULATE_READ), -ENOMEM);
	/* a hole after populated pages: they stay populated */
	T_EQ(munmap_(s, P, pf + 2 * PG, 2 * PG), 0);
	T_EQ(madv(s, P, pf, 2 * PG, DONTNEED), 0);
	T_EQ(madv(s, P, pf, 3 * PG, POPULATE_WRITE), -ENOMEM);
	T_EQ(pwrite_d(s, F, 0, fill('X', 2 * PG)), 0);
	T_EQ(rdf(s, P, pf, PG), 'Y');
	T_EQ(rdf(s, P, pf + PG, PG), 'Z');
	/* anonymous and shared: nothing visible */
	a = (uint64_t)mmap_(s, P, ANY, 2 * PG, RW, SHRD, F, 0);
	T_EQ(madv(s, P, a, 2 * PG, POPULATE_WRITE), 0);
	T_EQ(pwrite_d(s, F, 0, fill('W', PG)), 0);
	T_EQ(rdf(s, P, a, PG), 'W');
	a = (uint64_t)mmap_(s, P, ANY, 2 * PG, RW, PRIV, ANON, 0);
	T_EQ(madv(s, P, a, 2 * PG, POPULATE_WRITE), 0);
	T_EQ(rdf(s, P, a, 2 * PG), 0);
	spec_destroy(s);
}

/* mmap populate: a private writable file mapping gets private copies up to EOF. */
TEST(spec_mmap_populate)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t pw, ro, sh, no;

	proc_op(s, SCN_OP_PROC, P, -1);
	file_op(s, SCN_OP_FILE, F, 2 * PG + 100);
	pw = (uint64_t)mmap_(s, P, ANY, 4 * PG, RW, PRIV | POP, F, 0);
	T_EQ(pw, BASE - 4 * PG);					/* errors ignored */
	ro = (uint64_t)mmap_(s, P, ANY, 4 * PG, RO, PRIV | POP, F, 0);
	sh = (uint64_t)mmap_(s, P, ANY, 4 * PG, RW, SHRD | POP, F, 0);
	no = (uint64_t)mmap_(s, P, ANY, 4 * PG, NONE, PRIV | POP, F, 0);
	T_EQ(pwrite_d(s, F, 0, fill('Q', 2 * PG + 100)), 0);
	T_EQ(rdf(s, P, pw, 3 * PG), 0);
	T_EQ(rdf(s, P, pw + 3 * PG, 1), BUS);
	T_EQ(rdf(s, P, ro, 2 * PG + 100), 'Q');
	T_EQ(rdf(s, P, sh, 2 * PG + 100), 'Q');
	T_EQ(mprot(s, P, no, 4 * PG, RW), 0);
	T_EQ(rdf(s, P, no, 2 * PG + 100), 'Q');
	T_EQ(mmap_(s, P, ANY, 4 * PG, RW, PRIV | POP, ANON, 0), BASE - 20 * PG);
	T_EQ(rdf(s, P, BASE - 20 * PG, 4 * PG), 0);
	spec_destroy(s);
}

/* ------------------------------------------------------------------ */
/* When memory runs out (the model's outcome has alloc_failed) */

TEST(spec_alloc_failed)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	uint64_t a;

	proc_op(s, SCN_OP_PROC, P, -1);
	file_op(s, SCN_OP_FILE, F, 3 * PG);
	a = (uint64_t)mmap_(s, P, ANY, 3 * PG, RW, PRIV, ANON, 0);
	oom(1, SCN_RES_ERRNO);
	T_EQ(wr(s, P, a + 100, 'w', 3 * PG - 100), -ENOMEM);	/* keeps its first page */
	oom(-1, 0);
	T_EQ(rdf(s, P, a + 100, PG - 100), 'w');
	T_EQ(rdf(s, P, a + PG, 2 * PG), 0);
	/* mmap: the populate stopped after 2 pages; the model said ENOMEM */
	oom(2, SCN_RES_ERRNO);
	T_EQ(mmap_(s, P, ANY, 3 * PG, RW, PRIV | POP, F, 0), -ENOMEM);
	oom(-1, 0);
	T_EQ(pwrite_d(s, F, 0, fill('f', 3 * PG)), 0);
	T_EQ(rdf(s, P, a - 3 * PG, 2 * PG), 0);			/* 2 copies */
	T_EQ(rdf(s, P, a - PG, PG), 'f');
	/* ... the model returned the address */
	oom(1, SCN_RES_INT);
	T_EQ(mmap_(s, P, ANY, 3 * PG, RW, PRIV | POP, F, 0), a - 6 * PG);
	oom(-1, 0);
	T_EQ(pwrite_d(s, F, 0, fill('g', 3 * PG)), 0);
	T_EQ(rdf(s, P, a - 6 * PG, PG), 'f');
	T_EQ(rdf(s, P, a - 5 * PG, 2 * PG), 'g');
	/* ... nothing done */
	oom(0, SCN_RES_ERRNO);
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV, ANON, 0), -ENOMEM);
	oom(-1, 0);
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV, ANON, 0), a - 7 * PG);
	/* madvise populate_write keeps its first page */
	T_EQ(madv(s, P, a - 6 * PG, 3 * PG, DONTNEED), 0);
	oom(1, SCN_RES_ERRNO);
	T_EQ(madv(s, P, a - 6 * PG, 3 * PG, POPULATE_WRITE), -ENOMEM);
	oom(-1, 0);
	T_EQ(pwrite_d(s, F, 0, fill('h', 3 * PG)), 0);
	T_EQ(rdf(s, P, a - 6 * PG, PG), 'g');
	T_EQ(rdf(s, P, a - 5 * PG, 2 * PG), 'h');
	/* everything else: no effect */
	oom(0, SCN_RES_ERRNO);
	T_EQ(munmap_(s, P, a, PG), -ENOMEM);
	T_EQ(mprot(s, P, a, PG, NONE), -ENOMEM);
	T_EQ(madv(s, P, a, PG, DONTNEED), -ENOMEM);
	T_EQ(proc_op(s, SCN_OP_FORK, P, Q), -ENOMEM);
	T_EQ(pwrite_d(s, F, 0, str("zz")), -ENOMEM);
	T_EQ(file_op(s, SCN_OP_TRUNCATE, F, 0), -ENOMEM);
	T_EQ(rdf(s, P, a, 1), -ENOMEM);
	oom(-1, 0);
	T_ASSERT(!spec_proc_exists(s, Q));
	T_EQ(rdf(s, P, a + 100, 1), 'w');
	T_EQ(prdf(s, F, 0, 3 * PG, 3 * PG), 'h');
	spec_destroy(s);
}

/* ------------------------------------------------------------------ */
/* Kernel operations and the statements spec/ does not model yet */

TEST(spec_kernel_ops)
{
	struct spec *s = mk(SCN_THP_MADVISE);
	static const enum scn_op later[] = {
		SCN_OP_PIN, SCN_OP_PINREAD, SCN_OP_PINWRITE,
		SCN_OP_UNPIN, SCN_OP_COMPACT, SCN_OP_RECLAIM,
	};
	uint64_t a;

	proc_op(s, SCN_OP_PROC, P, -1);
	a = (uint64_t)mmap_(s, P, ANY, 2 * PG, RW, PRIV, ANON, 0);
	T_EQ(wr(s, P, a, 'k', 2 * PG), 0);
	T_EQ(range_op(s, SCN_OP_MIGRATE, P, a, 0, 0), UNPRED);
	T_EQ(range_op(s, SCN_OP_SPLIT, P, a, 0, 0), UNPRED);
	T_EQ(range_op(s, SCN_OP_PAGEOUT, P, a, 2 * PG, 0), 0);
	T_EQ(range_op(s, SCN_OP_PAGEOUT, P, a, 3 * PG, 0), -ENOMEM);
	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
		T_EQ(range_op(s, later[i], P, a, 2 * PG, 0), UNPRED);
	T_EQ(proc_op(s, SCN_OP_CHECK, -1, -1), 0);
	T_EQ(rdf(s, P, a, 2 * PG), 'k');			/* none of them changed anything */
	T_EQ(mmap_(s, P, ANY, PG, RW, PRIV, ANON, 0), a - PG);
	spec_destroy(s);
}

/* ------------------------------------------------------------------ */
/* The sparse page map against a plain array (spec/pagemap.c) */

TEST(spec_pagemap_random)
{
	enum { KEYS = 48 };		/* few live keys: a small table, probe runs that wrap */
	uint64_t pool[KEYS];		/* the keys of one round: random page numbers */
	int model[KEYS];		/* -1 absent, else the fill byte */
	struct spec_pagemap pm, copy;
	struct prng rng;
	long long rounds = t_param("spec_pm_rounds", t_long() ? 500 : 50);

	prng_seed(&rng, t_seed());
	for (long long round = 0; round < rounds; round++) {
		spec_pm_init(&pm);
		for (int k = 0; k < KEYS; k++) {
			bool dup;

			do {		/* distinct keys */
				pool[k] = prng_below(&rng, round % 2 ? 1ULL << 40 : 4 * KEYS);
				dup = false;
				for (int j = 0; j < k; j++)
					dup |= pool[j] == pool[k];
			} while (dup);
			model[k] = -1;
		}
		for (int n = 0; n < 2000; n++) {
			int k = (int)prng_below(&rng, KEYS), k2 = (int)prng_below(&rng, KEYS);
			uint64_t lo = MIN(pool[k], pool[k2]), hi = MAX(pool[k], pool[k2]);
			struct spec_page *p;

			switch (prng_below(&rng, 8)) {
			case 0: case 1: case 2: case 3:
				p = spec_pm_get(&pm, pool[k], NULL);
				if (model[k] < 0)
					T_EQ(p->fill, 0);
				p->fill = (unsigned char)n;
				model[k] = (unsigned char)n;
				break;
			case 4: case 5: case 6:
				spec_pm_remove(&pm, pool[k]);
				model[k] = -1;
				break;
			default:
				if (prng_below(&rng, 10))
					break;
				spec_pm_remove_range(&pm, lo, hi);
				for (int i = 0; i < KEYS; i++)
					if (pool[i] >= lo && pool[i] < hi)
						model[i] = -1;
				break;
			}
			for (int i = 0; i < KEYS; i++) {
				p = spec_pm_find(&pm, pool[i]);
				T_EQ(p ? p->fill : -1, model[i]);
			}
			T_LE(pm.count * 2, pm.cap);
		}
		spec_pm_clone(&copy, &pm);
		spec_pm_free(&pm);
		for (int i = 0; i < KEYS; i++) {
			struct spec_page *p = spec_pm_find(&copy, pool[i]);

			T_EQ(p ? p->fill : -1, model[i]);
		}
		spec_pm_free(&copy);
	}
}
