/*
 * mm/mm_types.h - the model's objects, with the kernel's names and the
 * kernel's fields that matter (include/linux/mm_types.h, rmap.h, fs.h).
 *
 * Lock annotations on fields (see lock ordering in mm/rmap.c):
 *   (m)  mm->mmap_lock          (p)  page table lock (mm->page_table_lock or the split PTL)
 *   (i)  mapping->i_mmap_rwsem  (a)  anon_vma->root->rwsem
 *   (f)  folio lock             (x)  mapping's i_pages lock
 *   (l)  lru_lock               (r)  inode->i_rwsem
 *
 * Invariants (numbered; mm/validate.c cites them):
 *   I1  coverage: every present or migration pte mapping page p of an anon
 *       folio F in VMA V has an AVC of V in F's anon_vma tree covering
 *       p's index, at vma_address(V, index) == the pte's address; for a
 *       file folio, V is in F->mapping->i_mmap with the same equation.
 *   I2  all anon_vmas of one hierarchy share root; trees are under root's rwsem.
 *   I3  an anon_vma lives while its tree is non-empty or it is referenced.
 *   I4  mapcount == number of present ptes mapping the folio.
 *   I5  refcount == mapcount + (in page cache) + (in swap cache) + transient refs.
 *   I6  a writable pte to an anon page implies PageAnonExclusive.
 *   I7  num_active_vmas == #VMAs whose anon_vma is this one;
 *       num_children == #anon_vmas whose parent is this one (a root counts itself).
 *   I8  VMAs of an mm are sorted, disjoint, page aligned; map_count is their number;
 *       each node's rb_subtree_gap is the largest gap in its subtree.
 *   I9  no pte outside a VMA; rss counters equal the ptes they count.
 *   I10 a page-cache folio has mapping == its address_space, index == its slot;
 *       no pte maps a file page at or beyond EOF once truncate returned.
 *   I11 a migration entry exists only while its folio is under migration
 *       (locked by the migration that installed it, PG_migrating); it holds
 *       neither a mapcount nor a reference, but counts in rss.
 */
#ifndef RMAPLAB_MM_MM_TYPES_H
#define RMAPLAB_MM_MM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "explore/lock.h"
#include "lib/list.h"
#include "lib/rbtree.h"
#include "lib/xarray.h"
#include "mm/variant.h"

/* ------------------------------------------------------------------ */
/* Sizes: x86-64, 4 levels, 48-bit addresses. */

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define PMD_SHIFT	21
#define PMD_SIZE	(1UL << PMD_SHIFT)
#define PMD_MASK	(~(PMD_SIZE - 1))
#define PUD_SHIFT	30
#define PUD_SIZE	(1UL << PUD_SHIFT)
#define PUD_MASK	(~(PUD_SIZE - 1))
#define PGDIR_SHIFT	39
#define PGDIR_SIZE	(1UL << PGDIR_SHIFT)
#define PGDIR_MASK	(~(PGDIR_SIZE - 1))
#define PTRS_PER_TABLE	512
#define HPAGE_PMD_ORDER	(PMD_SHIFT - PAGE_SHIFT)
#define HPAGE_PMD_NR	(1UL << HPAGE_PMD_ORDER)
#define MAX_PAGE_ORDER	10
#define NR_PAGE_ORDERS	(MAX_PAGE_ORDER + 1)

#define TASK_SIZE		0x7ffffffff000UL
#define STACK_TOP_MAX		TASK_SIZE	/* exec's temporary stack ends here */
#define EXEC_STACK_SHIFT	0x40003000UL	/* SCENARIOS.md: exec's fixed stack shift */
#define MMAP_BASE		0x7ffff7fff000UL	/* TASK_SIZE - 128 MiB */
#define MMAP_MIN_ADDR		0x10000UL
#define RW_USER_BUF		0x10000UL	/* where pread/pwrite's user buffer is (rw_verify) */
#define TASK_UNMAPPED_BASE	((TASK_SIZE / 3 + PAGE_SIZE - 1) & PAGE_MASK)
#define STACK_GUARD_GAP		(256UL << PAGE_SHIFT)
#define RLIMIT_STACK_MAX	(8UL << 20)
#define MAX_MAP_COUNT		65530
#define MAX_LFS_FILESIZE	0x7fffffffffffffffULL
/* s_maxbytes of ext4 with extents and 4 KiB blocks (probed: 16 TiB - 4 KiB) */
#define EXT4_MAXBYTES		0xffffffff000ULL
#define MAX_NUMNODES		64

#define PAGE_ALIGN(x)		(((x) + PAGE_SIZE - 1) & PAGE_MASK)
#define PAGE_ALIGNED(x)		(((x) & (PAGE_SIZE - 1)) == 0)
#define offset_in_page(x)	((unsigned long)(x) & (PAGE_SIZE - 1))
#define IS_ERR_ADDR(a)		((unsigned long)(a) >= (unsigned long)-4095)

/* include/linux/err.h: an errno in a pointer */
static inline void *ERR_PTR(long error) { return (void *)(uintptr_t)error; }
static inline long PTR_ERR(const void *ptr) { return (long)(uintptr_t)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_ADDR((uintptr_t)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }
#define DIV_ROUND_UP_PAGES(size) (((unsigned long)(size) + PAGE_SIZE - 1) >> PAGE_SHIFT)

typedef unsigned long pgoff_t;
/* loff_t comes from <sys/types.h> (glibc defines it with _GNU_SOURCE) */

/* ------------------------------------------------------------------ */
/* Page-table entries (our own bit layout; names are the kernel's). */

typedef struct { unsigned long pte; } pte_t;
typedef struct { unsigned long pmd; } pmd_t;
typedef struct { unsigned long pud; } pud_t;
typedef struct { unsigned long pgd; } pgd_t;

/* Present entries. */
#define _PAGE_PRESENT	(1UL << 0)
#define _PAGE_RW	(1UL << 1)
#define _PAGE_DIRTY	(1UL << 2)
#define _PAGE_ACCESSED	(1UL << 3)
#define _PAGE_SPECIAL	(1UL << 4)	/* no struct folio behind it: the zero page */
#define _PAGE_PSE	(1UL << 5)	/* PMD leaf (THP) */
#define _PAGE_SOFT_DIRTY (1UL << 6)
#define _PAGE_PROTNONE	(1UL << 7)	/* present for the kernel, inaccessible to the CPU */
/* Non-present, non-none entries: swap and migration ("softleaf"). */
#define _PAGE_SWP_MARK	(1UL << 6)	/* always set in a softleaf entry */
#define _PAGE_SWP_EXCLUSIVE (1UL << 7)
#define _PAGE_SWP_YOUNG	(1UL << 8)	/* migration: the pte was young */
#define _PAGE_SWP_DIRTY	(1UL << 9)	/* migration: the pte was dirty */
#define _PAGE_SWP_TYPE_SHIFT 1
#define _PAGE_SWP_TYPE_MASK  (0x1fUL << _PAGE_SWP_TYPE_SHIFT)
#define _PAGE_PFN_SHIFT	12

/* Upper-level entries point to the next table: pointer << 12 | _PAGE_TABLE. */
#define _PAGE_TABLE	(1UL << 0)

/* softleaf types (include/linux/swap.h) */
#define MAX_SWAPFILES			8
#define SWP_MIGRATION_READ		29
#define SWP_MIGRATION_READ_EXCLUSIVE	30
#define SWP_MIGRATION_WRITE		31

typedef struct { unsigned long val; } swp_entry_t;	/* type << 58 | offset */
typedef swp_entry_t softleaf_t;

/*
 * A page-table page at any level.  For PTE tables, ptl is the split PTE
 * lock; upper levels use mm->page_table_lock.
 */
struct ptdesc {
	unsigned long entries[PTRS_PER_TABLE];
	struct ex_lock ptl;		/* split PTE lock (PTE tables) */
	int level;			/* 1 = PTE table ... 4 = PGD */
};

typedef struct ex_lock spinlock_t;

/* ------------------------------------------------------------------ */
/* Folios. */

enum pageflags {
	PG_locked,		/* (f) the folio lock itself */
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,			/* (l) on an LRU list */
	PG_active,		/* (l) on the active list */
	PG_head,		/* first page of a large folio */
	PG_writeback,
	PG_reserved,		/* the zero page, and frames that are never allocated */
	PG_private,
	PG_swapcache,		/* folio->swap is valid: in the swap cache */
	PG_swapbacked,		/* anon or shmem */
	PG_anon_exclusive,	/* (p) mapped by exactly one mm; may be writable there */
	PG_buddy,		/* free, on a buddy free list; order in private */
	PG_isolated,		/* isolated from the LRU (holds a reference) */
	/*
	 * (f) The checker's, no kernel counterpart: a migration holds this
	 * folio locked and migration entries for it may exist (set after
	 * the source folio is locked, cleared before it is unlocked).  The
	 * kernel relies on the lock alone; the model must also tell a
	 * migration's lock from anyone else's to report stale entries.
	 */
	PG_migrating,
	NR_PAGEFLAGS
};

#define FOLIO_NODE_SHIFT	56
#define FOLIO_ORDER_SHIFT	48
#define FOLIO_FIELD_MASK	0xffUL

#define FOLIO_MAPPING_ANON	0x1UL

/*
 * struct folio - one page frame (or the head of a large folio).
 * The kernel's struct page; at most 64 bytes.  The node and the order
 * live in the top bits of flags, as the kernel keeps the node there.
 */
struct folio {
	unsigned long flags;		/* PG_* bits | order << 48 | node << 56 */
	struct list_head lru;		/* (l) LRU list; or a buddy free list while PG_buddy */
	struct address_space *mapping;	/* (f) address_space, or anon_vma | FOLIO_MAPPING_ANON */
	pgoff_t index;			/* (f) offset in the file, or linear anon index */
	union {
		unsigned long private;	/* buddy order while free */
		swp_entry_t swap;	/* while PG_swapcache */
	};
	int _mapcount;			/* -1 based: number of ptes mapping the page, minus one */
	int _refcount;
	unsigned char *virtual;		/* PAGE_SIZE bytes of real data */
};

_Static_assert(sizeof(struct folio) <= 64, "struct folio must stay within 64 bytes");

/* ------------------------------------------------------------------ */
/* anon_vma and anon_vma_chain (include/linux/rmap.h). */

struct anon_vma {
	struct anon_vma *root;		/* root of the fork hierarchy: holds the lock */
	struct ex_lock rwsem;		/* used on the root only */
	int refcount;			/* 1 for the tree (dropped when it empties) + children's root refs + transient */
	unsigned long num_children;	/* (a) anon_vmas whose parent is this one (a root counts itself) */
	unsigned long num_active_vmas;	/* (a) VMAs whose ->anon_vma is this one */
	struct anon_vma *parent;	/* the anon_vma this one was forked from (itself for a root) */
	struct rb_root_cached rb_root;	/* (a) interval tree of anon_vma_chains */
	unsigned long id;		/* creation number, for dumps */
};

struct anon_vma_chain {
	struct vm_area_struct *vma;
	struct anon_vma *anon_vma;
	struct list_head same_vma;	/* (m) + (p): on vma->anon_vma_chain */
	struct rb_node rb;		/* (a) in anon_vma->rb_root */
	unsigned long rb_subtree_last;
};

/* ------------------------------------------------------------------ */
/* Files: address_space, inode, file (include/linux/fs.h). */

struct address_space {
	struct inode *host;
	struct xarray i_pages;		/* (x) page index -> folio */
	spinlock_t i_pages_lock;
	struct rb_root_cached i_mmap;	/* (i) interval tree of VMAs mapping this file */
	struct ex_lock i_mmap_rwsem;
	struct ex_lock invalidate_lock;
	unsigned long nrpages;		/* (x) */
	int i_mmap_writable;		/* (i) VM_SHARED mappings */
};

struct inode {
	loff_t i_size;			/* (r) written with i_size_write */
	struct ex_lock i_rwsem;
	struct address_space i_data;
	int i_count;			/* references: the scenario's file, open struct files */
	bool shmem;			/* shmem (shared anonymous, memfd): no disk, swap-backed */
	bool i_private;			/* S_PRIVATE: the hidden file of a shared anon mapping */
	loff_t s_maxbytes;		/* i_sb->s_maxbytes (the model has no super_block) */
	struct xarray disk;		/* regular files: index -> saved 4 KiB block (the disk) */
	unsigned long i_ino;
	struct list_head i_list;	/* the machine's inodes */
	char name[32];
	int truncating;			/* the checker's: truncate statements in flight on it */
};

struct file {
	struct inode *f_inode;
	struct address_space *f_mapping;
	int f_count;
};

/* ------------------------------------------------------------------ */
/* VMAs and address spaces. */

/* vm_flags (include/linux/mm.h) */
#define VM_READ		0x00000001UL
#define VM_WRITE	0x00000002UL
#define VM_EXEC		0x00000004UL
#define VM_SHARED	0x00000008UL
#define VM_MAYREAD	0x00000010UL
#define VM_MAYWRITE	0x00000020UL
#define VM_MAYEXEC	0x00000040UL
#define VM_MAYSHARE	0x00000080UL
#define VM_GROWSDOWN	0x00000100UL
#define VM_SEQ_READ	0x00008000UL
#define VM_RAND_READ	0x00010000UL
#define VM_DONTCOPY	0x00020000UL
#define VM_DONTEXPAND	0x00040000UL
#define VM_ACCOUNT	0x00100000UL
#define VM_NORESERVE	0x00200000UL
#define VM_STACK_EARLY	0x00800000UL	/* (7.0: VM_STACK_EARLY shares a bit on 64-bit) */
#define VM_HUGEPAGE	0x20000000UL
#define VM_NOHUGEPAGE	0x40000000UL
#define VM_SOFTDIRTY	0x08000000UL

#define VM_ACCESS_FLAGS	(VM_READ | VM_WRITE | VM_EXEC)
#define VM_STACK_INCOMPLETE_SETUP (VM_RAND_READ | VM_SEQ_READ | VM_STACK_EARLY)
/* The initial stack's flags (VM_STACK_FLAGS on x86-64: no VM_EXEC by default). */
#define VM_STACK_FLAGS	(VM_GROWSDOWN | VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | \
			 VM_MAYEXEC | VM_ACCOUNT)
/* Flags that do not prevent a merge (include/linux/mm.h VM_IGNORE_MERGE). */
#define VM_IGNORE_MERGE	VM_SOFTDIRTY

struct vm_area_struct {
	unsigned long vm_start;		/* (m) write; also (a) and (i) while in the trees */
	unsigned long vm_end;		/* (m) write */
	struct mm_struct *vm_mm;
	struct vm_area_struct *vm_next, *vm_prev;	/* (m) sorted list */
	struct rb_node vm_rb;		/* (m) in mm->mm_rb */
	unsigned long rb_subtree_gap;	/* (m) largest free gap below, in this subtree */
	unsigned long vm_flags;		/* (m) write */
	unsigned long vm_page_prot;	/* pte bits for new mappings: _PAGE_RW or 0 */
	struct {
		struct rb_node rb;	/* (i) in vm_file->f_mapping->i_mmap */
		unsigned long rb_subtree_last;
	} shared;
	struct list_head anon_vma_chain; /* (m) + (p) */
	struct anon_vma *anon_vma;	/* (m) write, or (p) page_table_lock for the first set */
	unsigned long vm_pgoff;		/* (m) write; offset in the file, or linear anon index */
	struct file *vm_file;
	unsigned long vm_seq;		/* creation number, for dumps */
};

enum mm_counter {
	MM_FILEPAGES,
	MM_ANONPAGES,
	MM_SWAPENTS,
	MM_SHMEMPAGES,
	NR_MM_COUNTERS
};

#define MMF_HAS_PINNED	0

typedef struct {
	unsigned int sequence;
} seqcount_t;

struct mm_struct {
	struct rb_root mm_rb;		/* (m) VMAs by vm_start, augmented with rb_subtree_gap */
	struct vm_area_struct *mmap;	/* (m) the lowest VMA; list through vm_next */
	unsigned long highest_vm_end;	/* (m) */
	int map_count;			/* (m) number of VMAs */
	struct ptdesc *pgd;
	struct ex_lock mmap_lock;
	spinlock_t page_table_lock;	/* upper levels; anon_vma_prepare's race */
	seqcount_t write_protect_seq;	/* fork's copy of COW mappings */
	unsigned long flags;		/* MMF_* */
	long rss_stat[NR_MM_COUNTERS];	/* (p) */
	unsigned long nr_pgtables;	/* page-table pages allocated */
	unsigned long mmap_base;
	unsigned long task_size;
	unsigned long total_vm;
	int mm_users;
	unsigned long mm_id;		/* creation number */
	struct list_head mm_list;	/* (machine) every live mm */
	/*
	 * munmap's detached VMAs (the kernel's vms->mas_detach): out of the
	 * tree, still in the rmap trees while their ptes are zapped with
	 * mmap_lock downgraded.  The checker looks ptes up here too.
	 */
	struct vm_area_struct **detached;
	int nr_detached;
};

struct task_struct {
	struct mm_struct *mm;
	int pid;
	char comm[32];
	bool exited;
};

/* ------------------------------------------------------------------ */
/* The machine: memory nodes, frames, LRU, allocation sites. */

enum lru_list {
	LRU_INACTIVE_ANON,
	LRU_ACTIVE_ANON,
	LRU_INACTIVE_FILE,
	LRU_ACTIVE_FILE,
	NR_LRU_LISTS
};

struct lruvec {
	struct list_head lists[NR_LRU_LISTS];	/* (l) */
	unsigned long nr[NR_LRU_LISTS];
	spinlock_t lru_lock;
};

struct free_area {
	struct list_head free_list;
	unsigned long nr_free;
};

struct pglist_data {
	int node_id;
	unsigned long node_start_pfn;
	unsigned long node_spanned_pages;
	unsigned long nr_free_pages;
	struct free_area free_area[NR_PAGE_ORDERS];
	struct lruvec lruvec;
};

/*
 * Allocation sites: every allocation in mm/ goes through vm_alloc() (or
 * the frame allocator) with one of these, so injection and the leak check
 * reach all of them.  The first six are the language's `inject` sites.
 */
enum vm_alloc_site {
	VM_ALLOC_PAGE,		/* page frames */
	VM_ALLOC_PGTABLE,
	VM_ALLOC_VMA,
	VM_ALLOC_ANON_VMA,
	VM_ALLOC_AVC,
	VM_ALLOC_SWAP_SLOT,
	VM_NR_INJECT_SITES,
	/* internal, never injected */
	VM_ALLOC_MM = VM_NR_INJECT_SITES,
	VM_ALLOC_TASK,
	VM_ALLOC_INODE,
	VM_ALLOC_FILE,
	VM_ALLOC_XA_NODE,
	VM_ALLOC_DISK,
	VM_ALLOC_TEMP,		/* short-lived work arrays */
	VM_NR_ALLOC_SITES
};

struct vm_inject {
	unsigned long after;	/* allocations still to succeed */
	unsigned long times;	/* then this many fail */
};

struct vm_config {
	unsigned long frames;
	int nodes;
	unsigned long swap;	/* bytes */
	int thp;		/* 0 never, 1 madvise, 2 always */
	bool populate;		/* map all frame data in at creation (bench: RAM is there
				   before it is used; else the host faults it in lazily) */
};

struct machine {
	struct vm_config config;
	struct vm_variants variants;
	int nr_nodes;
	struct pglist_data node_data[MAX_NUMNODES];
	struct folio *mem_map;		/* pfn-indexed */
	unsigned long max_pfn;
	unsigned char *frame_data;	/* max_pfn * PAGE_SIZE, mapped lazily by the host */
	size_t frame_data_size;
	struct folio *zero_folio;	/* pfn 0: the shared zero page */

	/* allocation accounting */
	struct list_head allocations;	/* every live vm_alloc() object */
	long live[VM_NR_ALLOC_SITES];
	size_t live_bytes[VM_NR_ALLOC_SITES];	/* their sizes (bench's memory row) */
	unsigned long total[VM_NR_ALLOC_SITES];
	unsigned long frames_in_use;
	struct vm_inject inject[VM_NR_INJECT_SITES];
	/*
	 * An allocation failed since the runner last cleared it.  Atomic: with
	 * real threads every thread's runner clears and reads it; the flag of a
	 * statement is then the thread's own (vm_alloc_failed(), mm/threads.c).
	 */
	_Atomic bool alloc_failed;

	struct list_head mm_list;	/* every live mm */
	struct list_head inode_list;	/* every live inode */
	unsigned long next_mm_id, next_vma_seq, next_anon_vma_id, next_ino;
};

extern struct machine *machine;

static inline int vm_variant(enum vm_variant_key key)
{
	return machine->variants.value[key];
}

#endif /* RMAPLAB_MM_MM_TYPES_H */
