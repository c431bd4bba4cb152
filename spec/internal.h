/*
 * spec/internal.h - the reference semantics' own data structures
 *
 * Everything here is deliberately simple: no pages, page tables or locks.
 * A process is a sorted array of mappings plus one sparse map of the
 * private pages it has written (keyed by virtual page number); a file is
 * a size plus a sparse map of its pages (keyed by page index).  A page
 * that is not in a map reads zero (anonymous) or follows the file
 * (private file mapping).  The rules implemented are docs/semantics.md;
 * where that text and Linux 6.18 disagree, the functions say which one
 * they follow and why.
 *
 * Nothing here is shared with mm/.
 */
#ifndef RMAPLAB_SPEC_INTERNAL_H
#define RMAPLAB_SPEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/scn.h"

/* docs/semantics.md, "Constants" */
#define SPEC_PAGE_SIZE		4096ULL
#define SPEC_PAGE_MASK		(SPEC_PAGE_SIZE - 1)
#define SPEC_TASK_SIZE		0x7ffffffff000ULL
#define SPEC_MMAP_BASE		0x7ffff7fff000ULL
#define SPEC_MMAP_MIN_ADDR	0x10000ULL
#define SPEC_RW_USER_BUF	0x10000ULL	/* pread/pwrite's buffer (semantics.md) */
#define SPEC_TASK_UNMAPPED_BASE	(((SPEC_TASK_SIZE / 3) + SPEC_PAGE_MASK) & ~SPEC_PAGE_MASK)
#define SPEC_STACK_GUARD_GAP	(256 * SPEC_PAGE_SIZE)
#define SPEC_RLIMIT_STACK	(8ULL << 20)
#define SPEC_MAX_LFS_FILESIZE	0x7fffffffffffffffULL
#define SPEC_PMD_SIZE		(2ULL << 20)
#define SPEC_EXEC_STACK_SHIFT	0x40003000ULL	/* exec's fixed stack shift (SCENARIOS.md) */

/* ------------------------------------------------------------------ */
/* Sparse page maps (spec/pagemap.c) */

/*
 * One page of content.  data == NULL means every byte is `fill` (a page
 * written with a FILL literal, or a zero page), so a 1 GiB 'x'*1G costs
 * no memory; data != NULL holds SPEC_PAGE_SIZE bytes.
 */
struct spec_page {
	uint64_t key;		/* page number; SPEC_PM_EMPTY marks a free slot */
	unsigned char *data;
	unsigned char fill;
};

#define SPEC_PM_EMPTY UINT64_MAX

/* Open addressing, linear probing, backward-shift deletion. */
struct spec_pagemap {
	struct spec_page *slots;
	size_t cap;		/* 0 or a power of two */
	size_t count;
};

void spec_pm_init(struct spec_pagemap *pm);
void spec_pm_free(struct spec_pagemap *pm);
struct spec_page *spec_pm_find(const struct spec_pagemap *pm, uint64_t key);
/* The entry for @key, created as a copy of @init (NULL: a zero page) if absent. */
struct spec_page *spec_pm_get(struct spec_pagemap *pm, uint64_t key, const struct spec_page *init);
void spec_pm_remove(struct spec_pagemap *pm, uint64_t key);
/* Remove every key in [lo, hi). */
void spec_pm_remove_range(struct spec_pagemap *pm, uint64_t lo, uint64_t hi);
void spec_pm_clone(struct spec_pagemap *dst, const struct spec_pagemap *src);
/* Re-key every entry in [lo, hi) to start at @to (the ranges must not overlap). */
void spec_pm_move_range(struct spec_pagemap *pm, uint64_t lo, uint64_t hi, uint64_t to);

/* Bytes [off, off+len) of @p (NULL: a zero page) into @dst. */
void spec_page_read(const struct spec_page *p, uint64_t off, uint64_t len, unsigned char *dst);
/* Store data bytes [doff, doff+len) at page offset @off. */
void spec_page_store(struct spec_page *p, uint64_t off, const struct scn_data *d, uint64_t doff,
		     uint64_t len);
/* Set bytes [off, off+len) of @p to zero. */
void spec_page_zero(struct spec_page *p, uint64_t off, uint64_t len);

/* ------------------------------------------------------------------ */
/* Files (spec/file.c) */

/*
 * A regular file, or the hidden shmem file of a shared anonymous mapping.
 * Invariant: no page at index >= ceil(size / 4096) is stored.
 */
struct spec_file {
	int refs;		/* the symbol table's reference, plus one per mapping piece */
	uint64_t size;		/* i_size */
	bool tmpfs;		/* config files=memfd (and shmem): growing zeroes nothing */
	uint64_t maxbytes;	/* the filesystem's largest file size */
	struct spec_pagemap pages;	/* key: page index */
};

/* ext4 with extents and 4 KiB blocks (probed) */
#define SPEC_EXT4_MAXBYTES	0xffffffff000ULL

struct spec_file *spec_file_new(uint64_t size, bool tmpfs);
struct spec_file *spec_file_get(struct spec_file *f);
void spec_file_put(struct spec_file *f);
/* ceil(size / 4096): the first page index that SIGBUSes. */
uint64_t spec_file_pages(const struct spec_file *f);

/* ------------------------------------------------------------------ */
/* Address spaces (spec/space.c, spec/access.c) */

enum spec_kind {
	SPEC_PRIVATE_ANON,
	SPEC_SHARED_ANON,	/* file is the hidden shmem file */
	SPEC_PRIVATE_FILE,
	SPEC_SHARED_FILE,
};

#define SPEC_THP_NONE		0
#define SPEC_THP_HUGEPAGE	1	/* madvise hugepage */
#define SPEC_THP_NOHUGEPAGE	2	/* madvise nohugepage */

/*
 * One VMA.  Pieces are split where an operation changes part of a
 * mapping and merged again where the kernel would merge them (equal
 * attributes, contiguous file offsets), so one piece is one kernel VMA
 * as far as anything observable is concerned (collapse's EINVAL rule
 * and a growsdown mapping's RLIMIT_STACK check look at whole VMAs).
 */
struct spec_vma {
	uint64_t start, end;
	int prot;		/* SCN_PROT_* */
	enum spec_kind kind;
	struct spec_file *file;	/* a reference; NULL for private anonymous */
	uint64_t pgoff;		/* file page index of start; private anon: start / 4096 */
	bool growsdown;
	int thp;		/* SPEC_THP_* */
};

struct spec_mm {
	struct spec_vma *vmas;	/* sorted by start, disjoint */
	size_t nr, cap;
	/*
	 * The process's own pages: key = virtual page number.  Present only
	 * inside private mappings: for private anonymous, a page that was
	 * written; for private file, a private copy (COW).
	 */
	struct spec_pagemap priv;
	/*
	 * Junctions: addresses where two pieces of private mappings were
	 * merged.  Linux may keep a VMA boundary there (anon_vma
	 * compatibility, an anonymous VMA's pgoff after mremap, VM_ACCOUNT),
	 * which spec/ does not model; only mremap can observe it, and there
	 * the model's result decides (spec/mremap.c).  Unsorted; removed
	 * when their address is unmapped.
	 */
	uint64_t *junctions;
	size_t nr_junctions, cap_junctions;
};

struct spec {
	enum scn_thp thp;
	bool memfd;			/* config files=memfd */
	struct spec_mm **procs;		/* by symbol index; NULL: does not exist */
	size_t nr_procs;
	struct spec_file **files;	/* by symbol index; NULL: not created */
	size_t nr_files;
};

static inline uint64_t spec_round_down(uint64_t x, uint64_t a) { return x & ~(a - 1); }

static inline bool spec_is_file_kind(enum spec_kind k)
{
	return k != SPEC_PRIVATE_ANON;	/* shared anon has its hidden file */
}

static inline bool spec_is_private(enum spec_kind k)
{
	return k == SPEC_PRIVATE_ANON || k == SPEC_PRIVATE_FILE;
}

/* space.c */
struct spec_mm *spec_mm_new(void);
void spec_mm_free(struct spec_mm *mm);
struct spec_mm *spec_mm_dup(const struct spec_mm *mm);
size_t spec_mm_find_next(const struct spec_mm *mm, uint64_t addr);
void spec_mm_insert(struct spec_mm *mm, size_t i, const struct spec_vma *v);
size_t spec_mm_split(struct spec_mm *mm, uint64_t addr);
size_t spec_mm_merge_around(struct spec_mm *mm, size_t i);
void spec_mm_unmap(struct spec_mm *mm, uint64_t lo, uint64_t hi);
uint64_t spec_vma_file_index(const struct spec_vma *v, uint64_t addr);
bool spec_mm_junction_within(const struct spec_mm *mm, uint64_t lo, uint64_t hi);
int spec_get_unmapped_area(const struct spec_mm *mm, enum scn_thp thp, bool anon, bool fixed,
			   uint64_t hint, uint64_t len, uint64_t *addr);

/* The operations: each returns 0 or a negative errno, or a signal through *sig. */
int spec_do_mmap(struct spec *s, struct spec_mm *mm, const struct scn_stmt *st,
		 const struct scn_args *a, uint64_t limit, uint64_t *addr);
int spec_do_munmap(struct spec_mm *mm, uint64_t addr, uint64_t len);
int spec_do_mprotect(struct spec_mm *mm, uint64_t addr, uint64_t len, int prot);
int spec_do_madvise(struct spec_mm *mm, uint64_t addr, uint64_t len, enum scn_advice adv,
		    uint64_t limit, bool *unpredictable);
/* mremap.c */
int spec_do_mremap(struct spec *s, struct spec_mm *mm, const struct scn_stmt *st,
		   const struct scn_args *a, const struct scn_outcome *model, uint64_t *addr);

/* access.c */
int spec_access(struct spec_mm *mm, uint64_t addr, uint64_t len, const struct scn_data *data,
		uint64_t limit, unsigned char *out);
int spec_populate(struct spec_mm *mm, uint64_t addr, uint64_t len, bool write, uint64_t limit);
void spec_populate_mmap(struct spec_mm *mm, uint64_t addr, uint64_t len, uint64_t limit);

/* file.c: operations on files, and their effect on every process's mappings */
int spec_do_pread(const struct spec_file *f, uint64_t off, uint64_t len, unsigned char **buf,
		  uint64_t *n);
int spec_do_pwrite(struct spec_file *f, uint64_t off, const struct scn_data *d);
int spec_do_truncate(struct spec *s, struct spec_file *f, uint64_t size);

/* Access results that are signals, not errnos (returned as positive values). */
#define SPEC_SIGSEGV	1
#define SPEC_SIGBUS	2

#endif /* RMAPLAB_SPEC_INTERNAL_H */
