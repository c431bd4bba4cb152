/*
 * lang/scn.h - the scenario language (.scn): parsed form
 *
 * The contract is ../shared/docs/SCENARIOS.md (mirrored in docs/scenarios.md).
 * scn_parse_file() turns a file into a struct scenario; every error names
 * file:line:col and what was expected.  Names are resolved to symbol
 * indices at parse time, so later layers never look at strings.
 *
 * Prefix: scn_ (lang/).
 */
#ifndef RMAPLAB_LANG_SCN_H
#define RMAPLAB_LANG_SCN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "explore/violation.h"	/* enum ex_kind, for expect fail KIND */

struct scn_loc {
	const char *file;	/* path as given to the parser (owned by the scenario) */
	int line;		/* 1-based */
	int col;		/* 1-based, in bytes */
};

/* ------------------------------------------------------------------ */
/* Symbols: processes, files, threads and values share one namespace.  */

enum scn_sym_kind {
	SCN_SYM_PROC,		/* proc P, fork P Q (Q) */
	SCN_SYM_FILE,		/* file F SIZE */
	SCN_SYM_THREAD,		/* thread NAME */
	SCN_SYM_VALUE,		/* NAME = op ... (an integer: address, pin handle) */
};

struct scn_sym {
	char *name;
	enum scn_sym_kind kind;
	struct scn_loc loc;	/* where it was first bound */
};

/* ------------------------------------------------------------------ */
/* Expressions: an integer, a name bound to an integer, name+int, name-int. */

struct scn_expr {
	bool present;		/* false: the optional argument was not given */
	int sym;		/* symbol index of a value, or -1 for a literal */
	int64_t value;		/* the literal, or the offset added to sym's value */
	struct scn_loc loc;
};

/* ------------------------------------------------------------------ */
/* Data: "text", x"hex", or BYTE*SIZE. */

enum scn_data_kind {
	SCN_DATA_NONE,
	SCN_DATA_BYTES,		/* literal bytes (from "..." or x"...") */
	SCN_DATA_FILL,		/* fill byte repeated len times: 0xab*4K, 'A'*8K */
};

struct scn_data {
	enum scn_data_kind kind;
	unsigned char *bytes;	/* SCN_DATA_BYTES: len bytes (may contain NULs) */
	unsigned char fill;	/* SCN_DATA_FILL */
	uint64_t len;
};

/* ------------------------------------------------------------------ */
/* Results: what follows == (alternatives separated by |). */

enum scn_result_kind {
	SCN_RES_OK,		/* ok */
	SCN_RES_INT,		/* an integer, or a name bound to one (expr) */
	SCN_RES_ERRNO,		/* ENOMEM EINVAL EFAULT ENOENT EAGAIN EBUSY EPERM EEXIST ESRCH */
	SCN_RES_SIGNAL,		/* SIGSEGV SIGBUS */
	SCN_RES_DATA,		/* data (for reads) */
};

struct scn_result {
	enum scn_result_kind kind;
	struct scn_expr expr;	/* SCN_RES_INT */
	int err;		/* SCN_RES_ERRNO: positive errno value (ENOMEM, ...) */
	int sig;		/* SCN_RES_SIGNAL: SIGSEGV or SIGBUS */
	struct scn_data data;	/* SCN_RES_DATA */
	struct scn_loc loc;
};

/* ------------------------------------------------------------------ */
/* Statements. */

enum scn_op {
	SCN_OP_PROC,		/* proc P */
	SCN_OP_FORK,		/* fork P Q */
	SCN_OP_EXIT,		/* exit P */
	SCN_OP_FILE,		/* file F SIZE */
	SCN_OP_MMAP,		/* A = mmap P ADDR|any LEN PROT FLAG... [file F OFF] */
	SCN_OP_MUNMAP,		/* munmap P ADDR LEN */
	SCN_OP_MPROTECT,	/* mprotect P ADDR LEN PROT */
	SCN_OP_MREMAP,		/* B = mremap P OLD OLDLEN NEWLEN [maymove] [fixed NEW] [dontunmap] */
	SCN_OP_MADVISE,		/* madvise P ADDR LEN ADVICE */
	SCN_OP_WRITE,		/* write P ADDR DATA */
	SCN_OP_READ,		/* read P ADDR LEN */
	SCN_OP_PWRITE,		/* pwrite F OFF DATA */
	SCN_OP_PREAD,		/* pread F OFF LEN */
	SCN_OP_TRUNCATE,	/* truncate F SIZE */
	SCN_OP_PIN,		/* H = pin P ADDR [write] [force] [longterm] [get] */
	SCN_OP_PINREAD,		/* pinread H OFF LEN */
	SCN_OP_PINWRITE,	/* pinwrite H OFF DATA */
	SCN_OP_UNPIN,		/* unpin H */
	SCN_OP_EXEC,		/* SP = exec P ARGSIZE */
	SCN_OP_MIGRATE,		/* migrate P ADDR [NODE] */
	SCN_OP_COMPACT,		/* compact [NODE] */
	SCN_OP_RECLAIM,		/* reclaim [N] */
	SCN_OP_PAGEOUT,		/* pageout P ADDR LEN */
	SCN_OP_SPLIT,		/* split P ADDR */
	SCN_OP_INJECT,		/* inject SITE [after=N] [times=M] */
	SCN_OP_CHECK,		/* check */
	SCN_NR_OPS
};

/* PROT: none r rw rx rwx */
#define SCN_PROT_READ	0x1
#define SCN_PROT_WRITE	0x2
#define SCN_PROT_EXEC	0x4

/* mmap FLAGs */
#define SCN_MAP_PRIVATE		0x01
#define SCN_MAP_SHARED		0x02
#define SCN_MAP_FIXED		0x04
#define SCN_MAP_FIXED_NOREPLACE	0x08
#define SCN_MAP_POPULATE	0x10
#define SCN_MAP_GROWSDOWN	0x20

/* mremap flags */
#define SCN_MREMAP_MAYMOVE	0x01
#define SCN_MREMAP_FIXED	0x02
#define SCN_MREMAP_DONTUNMAP	0x04

/* pin flags */
#define SCN_PIN_WRITE		0x01
#define SCN_PIN_FORCE		0x02
#define SCN_PIN_LONGTERM	0x04
#define SCN_PIN_GET		0x08

enum scn_advice {
	SCN_ADV_DONTNEED,
	SCN_ADV_PAGEOUT,
	SCN_ADV_COLD,
	SCN_ADV_WILLNEED,
	SCN_ADV_HUGEPAGE,
	SCN_ADV_NOHUGEPAGE,
	SCN_ADV_COLLAPSE,
	SCN_ADV_POPULATE_READ,
	SCN_ADV_POPULATE_WRITE,
	SCN_NR_ADVICE
};

/* inject SITE; the same names as mm's allocation sites */
enum scn_site {
	SCN_SITE_PAGE,
	SCN_SITE_PGTABLE,
	SCN_SITE_VMA,
	SCN_SITE_ANON_VMA,
	SCN_SITE_AVC,
	SCN_SITE_SWAP_SLOT,
	SCN_NR_SITES
};

/*
 * One statement.  Which fields are meaningful depends on op; the comment on
 * each field lists the ops that use it.  Unused symbol fields are -1 and
 * unused expressions have present == false.
 */
struct scn_stmt {
	struct scn_loc loc;	/* start of the statement (the NAME of NAME =, or the op) */
	char *text;		/* the statement as written, comment and edges stripped */
	enum scn_op op;
	int bind;		/* NAME = : value symbol bound to the result, or -1 */

	int proc;		/* P: fork (parent), exit, mmap, munmap, mprotect, mremap,
				 * madvise, write, read, pin, exec, migrate, pageout, split;
				 * proc: the new process */
	int proc2;		/* fork: the child Q */
	int file;		/* file (new file), pwrite, pread, truncate, mmap ... file F */

	struct scn_expr addr;	/* ADDR: mmap (absent when `any`), munmap, mprotect, madvise,
				 * write, read, pin, migrate, pageout, split; mremap OLD */
	struct scn_expr len;	/* LEN: mmap, munmap, mprotect, madvise, read, pread,
				 * pinread, pageout; mremap OLDLEN; file/truncate SIZE;
				 * exec ARGSIZE; reclaim N (optional) */
	struct scn_expr newlen;	/* mremap NEWLEN */
	struct scn_expr newaddr;/* mremap fixed NEW */
	struct scn_expr off;	/* mmap file OFF, pwrite/pread OFF, pinread/pinwrite OFF */
	struct scn_expr handle;	/* pinread, pinwrite, unpin: H */
	struct scn_expr node;	/* migrate NODE, compact NODE (optional) */

	int prot;		/* mmap, mprotect: SCN_PROT_* */
	unsigned flags;		/* mmap: SCN_MAP_*; mremap: SCN_MREMAP_*; pin: SCN_PIN_* */
	enum scn_advice advice;	/* madvise */
	enum scn_site site;	/* inject */
	uint64_t inject_after;	/* inject after=N (default 0) */
	uint64_t inject_times;	/* inject times=M (default 1) */

	struct scn_data data;	/* write, pwrite, pinwrite */

	struct scn_result *results;	/* == alternatives; NULL when none given */
	int nr_results;
};

/* A section: init, one thread, or final. */
struct scn_section {
	char *name;		/* "init", "final", or the thread's name */
	int sym;		/* thread symbol, or -1 for init/final */
	struct scn_loc loc;
	struct scn_stmt *stmts;
	int nr_stmts;
};

/* config KEY=VALUE */
enum scn_thp { SCN_THP_NEVER, SCN_THP_MADVISE, SCN_THP_ALWAYS };
/* config files=: what `file F SIZE` creates (an extension of SCENARIOS.md) */
enum scn_files {
	SCN_FILES_DISK,		/* a regular file on a disk filesystem (ext4's rules) */
	SCN_FILES_MEMFD,	/* a memfd: a tmpfs (shmem) file */
};

struct scn_config {
	uint64_t frames;	/* default 65536 */
	int nodes;		/* default 2 */
	uint64_t swap;		/* bytes; 0 = no swap (default) */
	enum scn_thp thp;	/* default madvise */
	enum scn_files files;	/* default disk */
	bool files_set;		/* files= was given: the scenario is about that kind of file */
};

/*
 * variant KEY=VALUE, and the with KEY=VALUE list of an expect claim.
 * key and value are indices into the variant table (mm/variant.h).
 */
struct scn_setting {
	int key;
	int value;
	struct scn_loc loc;
};

struct scn_claim {
	bool pass;		/* expect pass */
	enum ex_kind kind;	/* expect fail KIND */
	struct scn_setting *with;
	int nr_with;
	struct scn_loc loc;
	char *text;		/* the claim as written */
};

struct scenario {
	char *path;		/* file path as given */
	char *name;		/* scenario NAME, or file name without .scn */
	char **docs;		/* doc "..." lines */
	int nr_docs;
	struct scn_config config;
	struct scn_setting *variants;	/* variant lines, in file order */
	int nr_variants;
	struct scn_claim *claims;
	int nr_claims;

	struct scn_section init;	/* nr_stmts == 0 when absent */
	struct scn_section *threads;
	int nr_threads;
	struct scn_section final;

	struct scn_sym *syms;
	int nr_syms;
};

/* ------------------------------------------------------------------ */
/* Runtime: a statement's evaluated arguments and its outcome.  Both the
 * model (through explore/interp.c) and the reference semantics (spec/)
 * take scn_args and produce scn_outcome, so they can be compared. */

struct scn_args {
	uint64_t addr;		/* stmt->addr evaluated (0 when absent) */
	bool addr_any;		/* mmap: ADDR was `any` */
	uint64_t len, newlen, newaddr, off, handle;
	int64_t node;		/* -1 when absent */
	uint64_t reclaim_n;	/* reclaim N; UINT64_MAX when absent (all) */
};

struct scn_outcome {
	enum scn_result_kind kind;	/* OK, INT, ERRNO, SIGNAL or DATA */
	int64_t value;			/* INT: the value */
	int err;			/* ERRNO: positive errno */
	int sig;			/* SIGNAL: SIGSEGV or SIGBUS */
	unsigned char *data;		/* DATA: malloc'd, len bytes (owned) */
	uint64_t len;
	/*
	 * Set by the model only: the statement failed because an allocation
	 * failed (ENOMEM); progress is the number of pages a write or a
	 * populate completed before the failure (docs/semantics.md, "When
	 * memory runs out").
	 */
	bool alloc_failed;
	uint64_t progress;
	/* Set by spec/ only: the result depends on physical state; do not compare. */
	bool unpredictable;
};

void scn_outcome_free(struct scn_outcome *o);
/* "ok", "0x7ffff7ffb000", "ENOMEM", "SIGBUS", "\"xxxx\"" or 'x'*4096 for long runs */
void scn_outcome_format(const struct scn_outcome *o, char *buf, size_t size);
/* Same kind and same value, errno, signal or bytes (unpredictable is not looked at). */
bool scn_outcome_equal(const struct scn_outcome *a, const struct scn_outcome *b);

/* Parse errors: one message, "file:line:col: error: ..." */
struct scn_error {
	char msg[512];
};

/*
 * scn_parse_file - read and parse one scenario file.
 * Returns the scenario, or NULL with *err filled (bad input: exit code 2).
 */
struct scenario *scn_parse_file(const char *path, struct scn_error *err);

/* scn_parse_string - the same on text in memory; path is used in messages. */
struct scenario *scn_parse_string(const char *path, const char *text, size_t len,
				  struct scn_error *err);

void scn_free(struct scenario *scn);

/* Names, for printing and error messages. */
const char *scn_op_name(enum scn_op op);
const char *scn_advice_name(enum scn_advice adv);
const char *scn_site_name(enum scn_site site);
const char *scn_errno_name(int err);		/* "ENOMEM", ...; NULL if not in the list */
int scn_errno_from_name(const char *name);	/* 0 if not an errno name of the language */

/* scn_data_byte - byte i of a data literal (either kind). */
static inline unsigned char scn_data_byte(const struct scn_data *d, uint64_t i)
{
	return d->kind == SCN_DATA_FILL ? d->fill : d->bytes[i];
}

/*
 * The Linux values of a statement's PROT (PROT_*), mmap FLAGs (MAP_*,
 * without MAP_ANONYMOUS, which no FLAG spells) and ADVICE (MADV_*): the
 * model and the real kernel take the same numbers.
 */
int scn_linux_prot(int prot);
int scn_linux_map_flags(unsigned flags);
int scn_linux_advice(enum scn_advice adv);

/*
 * scn_op_is_kernel - migrate, compact, reclaim, pageout, split: the kernel
 * may refuse them transiently, so without == any documented result is
 * accepted, and they never count as visible for the reference semantics.
 */
bool scn_op_is_kernel(enum scn_op op);

/*
 * scn_op_implemented - false for the operations whose model belongs to a
 * later issue (reclaim, split, pin*); running one stops the run with
 * exit code 3.
 */
bool scn_op_implemented(enum scn_op op);

#endif /* RMAPLAB_LANG_SCN_H */
