/*
 * mm/internal.h - declarations shared inside mm/ (the kernel's
 * mm/internal.h, include/linux/rmap.h, mm/vma.h in one place).
 * See lock ordering in mm/rmap.c.
 */
#ifndef RMAPLAB_MM_INTERNAL_H
#define RMAPLAB_MM_INTERNAL_H

#include "mm/mm.h"

/* ------------------------------------------------------------------ */
/* page_alloc.c, mm_init.c, swap.c (LRU) */

void buddy_init(struct machine *m);
void vm_alloc_release_raw(struct list_head *entry);
void *vm_xa_alloc(void *ctx, size_t size);
void vm_xa_free(void *ctx, void *ptr);

void lruvec_init(struct lruvec *lruvec);
void folio_add_lru(struct folio *folio);
void folio_add_lru_vma(struct folio *folio, struct vm_area_struct *vma);
void lruvec_del_folio_locked(struct folio *folio);	/* takes the lru_lock */
bool folio_isolate_lru(struct folio *folio);		/* +1 ref, off the LRU */
void folio_putback_lru(struct folio *folio);		/* back on the LRU, -1 ref */
void folio_deactivate(struct folio *folio);
void folio_mark_accessed(struct folio *folio);
/* The free frame @pfn taken out of the buddy allocator (compaction's free scanner), or NULL. */
struct folio *isolate_free_frame(unsigned long pfn);

/* ------------------------------------------------------------------ */
/* pgtable.c: page-table pages and walks */

struct ptdesc *pgtable_alloc(struct mm_struct *mm, int level);
void pgtable_free(struct mm_struct *mm, struct ptdesc *table);

/* READ_ONCE: the CPU and lockless walkers read ptes that others change under the PTL. */
static inline pte_t ptep_get(const pte_t *ptep) { return (pte_t){ __atomic_load_n(&ptep->pte, __ATOMIC_RELAXED) }; }

/* WRITE_ONCE */
static inline void set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte)
{
	(void)mm;
	(void)addr;
	__atomic_store_n(&ptep->pte, pte.pte, __ATOMIC_RELAXED);
}

/* xchg */
static inline pte_t ptep_get_and_clear(struct mm_struct *mm, unsigned long addr, pte_t *ptep)
{
	(void)mm;
	(void)addr;
	return (pte_t){ vm_atomic_xchg(&ptep->pte, 0, __ATOMIC_RELAXED) };
}

/* clear_bit */
static inline void ptep_set_wrprotect(struct mm_struct *mm, unsigned long addr, pte_t *ptep)
{
	(void)mm;
	(void)addr;
	vm_atomic_fetch_and(&ptep->pte, ~_PAGE_RW, __ATOMIC_RELAXED);
}

/* The PTE table covering @addr, or NULL; no locks (a hardware walk). */
struct ptdesc *walk_pte_table(struct mm_struct *mm, unsigned long addr);
/* The pte slot for @addr, or NULL if its table does not exist. */
pte_t *pte_offset_map(struct mm_struct *mm, unsigned long addr);
/* ...with the table's split lock taken; *ptlp receives it. */
pte_t *pte_offset_map_lock(struct mm_struct *mm, unsigned long addr, spinlock_t **ptlp);
void pte_unmap_unlock(pte_t *pte, spinlock_t *ptl);
spinlock_t *pte_lockptr(struct mm_struct *mm, unsigned long addr);
/* Allocate the missing levels for @addr: 0 or -ENOMEM. */
int pte_alloc(struct mm_struct *mm, unsigned long addr);
/* Allocate the levels above the PTE table for @addr: 0 or -ENOMEM. */
int pmd_alloc(struct mm_struct *mm, unsigned long addr);
/* Allocate the PUD table for @addr (the level above the PMD table): 0 or -ENOMEM. */
int pud_alloc(struct mm_struct *mm, unsigned long addr);
pte_t *pte_alloc_map_lock(struct mm_struct *mm, unsigned long addr, spinlock_t **ptlp);
/* Free page tables wholly inside [floor, ceiling) within [addr, end). */
void free_pgd_range(struct mm_struct *mm, unsigned long addr, unsigned long end,
		    unsigned long floor, unsigned long ceiling);
/* walk_page_range: @pte_entry on every non-none pte of a VMA's range, under its PTL. */
typedef void (*pte_entry_fn)(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep,
			     void *arg);
void walk_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		     pte_entry_fn pte_entry, void *arg);
/* Visit every non-none pte of @mm, no locks (validation). */
typedef void (*pte_visit_fn)(struct mm_struct *mm, unsigned long addr, pte_t *ptep, void *arg);
void walk_all_ptes(struct mm_struct *mm, pte_visit_fn fn, void *arg);

/* ------------------------------------------------------------------ */
/* interval_tree.c */

void vma_interval_tree_insert(struct vm_area_struct *node, struct rb_root_cached *root);
void vma_interval_tree_insert_after(struct vm_area_struct *node, struct vm_area_struct *prev,
				    struct rb_root_cached *root);
void vma_interval_tree_remove(struct vm_area_struct *node, struct rb_root_cached *root);
struct vm_area_struct *vma_interval_tree_iter_first(struct rb_root_cached *root,
						    unsigned long start, unsigned long last);
struct vm_area_struct *vma_interval_tree_iter_next(struct vm_area_struct *node,
						   unsigned long start, unsigned long last);
#define vma_interval_tree_foreach(vma, root, start, last)		\
	for (vma = vma_interval_tree_iter_first(root, start, last);	\
	     vma; vma = vma_interval_tree_iter_next(vma, start, last))

void anon_vma_interval_tree_insert(struct anon_vma_chain *node, struct rb_root_cached *root);
void anon_vma_interval_tree_remove(struct anon_vma_chain *node, struct rb_root_cached *root);
struct anon_vma_chain *anon_vma_interval_tree_iter_first(struct rb_root_cached *root,
							 unsigned long start, unsigned long last);
struct anon_vma_chain *anon_vma_interval_tree_iter_next(struct anon_vma_chain *node,
							unsigned long start, unsigned long last);
#define anon_vma_interval_tree_foreach(avc, root, start, last)		\
	for (avc = anon_vma_interval_tree_iter_first(root, start, last);	\
	     avc; avc = anon_vma_interval_tree_iter_next(avc, start, last))

unsigned long vma_start_pgoff(const struct vm_area_struct *vma);
unsigned long vma_last_pgoff(const struct vm_area_struct *vma);

/* ------------------------------------------------------------------ */
/* vma_tree.c: the per-mm VMA tree (stands in for the maple tree) */

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
struct vm_area_struct *find_vma_prev(struct mm_struct *mm, unsigned long addr,
				     struct vm_area_struct **pprev);
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end);
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr);
void vma_tree_insert(struct mm_struct *mm, struct vm_area_struct *vma);
void vma_tree_erase(struct mm_struct *mm, struct vm_area_struct *vma);
void vma_gap_update(struct vm_area_struct *vma);	/* after vm_start/vm_end changes */
unsigned long unmapped_area_topdown(struct mm_struct *mm, unsigned long length,
				    unsigned long low_limit, unsigned long high_limit);
unsigned long unmapped_area(struct mm_struct *mm, unsigned long length,
			    unsigned long low_limit, unsigned long high_limit);
bool vma_tree_validate(struct mm_struct *mm, char **why);

/* ------------------------------------------------------------------ */
/* vma.c: VMA life cycle, split, merge, expand, shrink, munmap */

struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig);
void vm_area_free(struct vm_area_struct *vma);
void vma_set_page_prot(struct vm_area_struct *vma);
bool vma_wants_writenotify(const struct vm_area_struct *vma);

void vma_link_file(struct vm_area_struct *vma);		/* into i_mmap */
void unlink_file_vma(struct vm_area_struct *vma);		/* out of i_mmap */
int vma_link(struct mm_struct *mm, struct vm_area_struct *vma);	/* tree + i_mmap */
void remove_vma(struct vm_area_struct *vma);		/* put file, free */

int split_vma(struct vm_area_struct *vma, unsigned long addr, int new_below);
struct vm_area_struct *vma_merge_new_range(struct mm_struct *mm, unsigned long addr,
					   unsigned long end, unsigned long vm_flags,
					   struct file *file, pgoff_t pgoff);
struct vm_area_struct *vma_modify_flags(struct vm_area_struct *vma, unsigned long start,
					unsigned long end, unsigned long new_flags, int *errp);
int vma_expand(struct vm_area_struct *vma, unsigned long start, unsigned long end,
	       pgoff_t pgoff, struct vm_area_struct *next);
int vma_shrink(struct vm_area_struct *vma, unsigned long start, unsigned long end, pgoff_t pgoff);
void vma_resize_anon_locked(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			    pgoff_t pgoff);
/* mremap: the new VMA for a copy of *vmap at [addr, addr + len) with @pgoff, or NULL. */
struct vm_area_struct *copy_vma(struct vm_area_struct **vmap, unsigned long addr,
				unsigned long len, pgoff_t pgoff, bool *need_rmap_locks);
/* mremap: grow @vma by @delta bytes at its end (merging with next); NULL on -ENOMEM. */
struct vm_area_struct *vma_merge_extend(struct vm_area_struct *vma, unsigned long delta);
int do_vmi_munmap(struct mm_struct *mm, unsigned long start, unsigned long len, bool unlock);
/* Drop the pages and page tables of [start, end) within @vma (unmap_region's share). */
void unmap_region_vma(struct vm_area_struct *vma, unsigned long start, unsigned long end);
void vma_adjust_start_end(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			  pgoff_t pgoff);

/* ------------------------------------------------------------------ */
/* mmap.c */

unsigned long get_unmapped_area(struct mm_struct *mm, struct file *file, unsigned long addr,
				unsigned long len, unsigned long flags);
long do_mmap(struct mm_struct *mm, struct file *file, unsigned long addr, unsigned long len,
	     unsigned long prot, unsigned long flags, pgoff_t pgoff, unsigned long *populate);
int expand_stack_locked(struct vm_area_struct *vma, unsigned long addr);
int dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm);
void exit_mmap(struct mm_struct *mm);

/* ------------------------------------------------------------------ */
/* mremap_tables.c: moving page tables (also what exec's stack relocation needs) */

/*
 * struct pagetable_move_control - one move_page_tables() call (the
 * kernel's mm/internal.h).  old_addr and new_addr are cursors: they start
 * at the range (possibly aligned down to a PMD by try_realign_addr) and
 * advance extent by extent; old_end stays.
 */
struct pagetable_move_control {
	struct vm_area_struct *old;	/* the VMA the ptes leave */
	struct vm_area_struct *new;	/* the VMA they join (may be old itself) */
	unsigned long old_addr;		/* cursor in the source range */
	unsigned long old_end;		/* end of the source range */
	unsigned long new_addr;		/* cursor in the destination range */
	unsigned long len_in;		/* bytes asked for */
	bool need_rmap_locks;		/* walk order does not protect: move_ptes locks the rmap */
	bool for_stack;			/* exec's relocation inside one VMA */
};

#define PAGETABLE_MOVE(name, old_, new_, old_addr_, new_addr_, len_)		\
	struct pagetable_move_control name = {					\
		.old = (old_), .new = (new_), .old_addr = (old_addr_),		\
		.old_end = (old_addr_) + (len_), .new_addr = (new_addr_),	\
		.len_in = (len_),						\
	}

/* Move the page tables of the range; returns the bytes moved (short: -ENOMEM). */
unsigned long move_page_tables(struct pagetable_move_control *pmc);

/* vma_exec.c: exec's temporary stack and its relocation */
int create_init_stack_vma(struct mm_struct *mm, struct vm_area_struct **vmap);
int relocate_vma_down(struct vm_area_struct *vma, unsigned long shift);

/* ------------------------------------------------------------------ */
/* fork.c */

struct mm_struct *mm_alloc(void);
void mmput(struct mm_struct *mm);

/* ------------------------------------------------------------------ */
/* memory.c, memory_wp.c: faults */

#define FAULT_FLAG_WRITE		0x01u
#define FAULT_FLAG_ALLOW_RETRY		0x04u
#define FAULT_FLAG_RETRY_NOWAIT		0x08u
#define FAULT_FLAG_KILLABLE		0x10u
#define FAULT_FLAG_TRIED		0x20u
#define FAULT_FLAG_USER			0x40u
#define FAULT_FLAG_UNSHARE		0x400u

#define VM_FAULT_OOM		0x0001u
#define VM_FAULT_SIGBUS		0x0002u
#define VM_FAULT_MAJOR		0x0004u
#define VM_FAULT_SIGSEGV	0x0040u
#define VM_FAULT_NOPAGE		0x0100u
#define VM_FAULT_LOCKED		0x0200u
#define VM_FAULT_RETRY		0x0400u
#define VM_FAULT_COMPLETED	0x4000u
#define VM_FAULT_ERROR		(VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV)

typedef unsigned int vm_fault_t;

/* One fault in flight (include/linux/mm.h struct vm_fault). */
struct vm_fault {
	struct vm_area_struct *vma;
	unsigned long address;		/* page aligned */
	pgoff_t pgoff;			/* linear_page_index(vma, address) */
	unsigned int flags;		/* FAULT_FLAG_* */
	pte_t *pte;			/* the pte slot (mapped) */
	pte_t orig_pte;			/* the value seen when the fault began */
	spinlock_t *ptl;		/* the PTE table lock, when held */
	struct folio *folio;		/* the page-cache or old anon folio */
	struct folio *cow_folio;	/* do_cow_fault: the private copy */
};

vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long address, unsigned int flags);
vm_fault_t do_wp_page(struct vm_fault *vmf);
vm_fault_t finish_fault(struct vm_fault *vmf);
vm_fault_t vmf_anon_prepare(struct vm_fault *vmf);
vm_fault_t do_page_mkwrite(struct vm_fault *vmf, struct folio *folio);
vm_fault_t fault_dirty_shared_page(struct vm_fault *vmf);
/* vm_normal_folio: the folio behind a present pte, NULL for the zero page. */
static inline struct folio *vm_normal_folio(struct vm_area_struct *vma, unsigned long addr, pte_t pte)
{
	(void)vma;
	(void)addr;
	if (pte_special(pte))
		return NULL;
	VM_BUG_ON(!pfn_valid(pte_pfn(pte)));
	return pfn_folio(pte_pfn(pte));
}
void add_mm_counter(struct mm_struct *mm, int member, long value);
int mm_counter_file(const struct folio *folio);
int mm_counter(const struct folio *folio);

/* memory_zap.c */
struct zap_details {
	struct folio *single_folio;	/* unmap_mapping_folio: only this folio */
	bool even_cows;			/* also zap private COWed anon pages */
};
void unmap_page_range(struct vm_area_struct *vma, unsigned long addr, unsigned long end,
		      const struct zap_details *details);
void zap_page_range_single(struct vm_area_struct *vma, unsigned long addr, unsigned long size,
			   const struct zap_details *details);
void unmap_mapping_pages(struct address_space *mapping, pgoff_t start, pgoff_t nr,
			 bool even_cows);
void unmap_mapping_range(struct address_space *mapping, loff_t holebegin, loff_t holelen,
			 int even_cows);
void unmap_mapping_folio(struct folio *folio);

/* memory_copy.c */
int copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma);

/* ------------------------------------------------------------------ */
/* rmap.c: anon_vma life cycle and mapcounts */

enum vma_operation {
	VMA_OP_SPLIT,
	VMA_OP_MERGE_UNFAULTED,
	VMA_OP_REMAP,
	VMA_OP_FORK,
};

#define RMAP_NONE	0x0
#define RMAP_EXCLUSIVE	0x1

int anon_vma_prepare(struct vm_area_struct *vma);
int anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src, enum vma_operation op);
int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma);
void unlink_anon_vmas(struct vm_area_struct *vma);
void get_anon_vma(struct anon_vma *anon_vma);
void put_anon_vma(struct anon_vma *anon_vma);
struct anon_vma *folio_get_anon_vma(struct folio *folio);	/* +1 ref, or NULL */
struct anon_vma *folio_lock_anon_vma_read(struct folio *folio, bool try_lock, bool *contended);
void anon_vma_interval_tree_pre_update_vma(struct vm_area_struct *vma);
void anon_vma_interval_tree_post_update_vma(struct vm_area_struct *vma);

void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
			     int flags);
void folio_add_anon_rmap_pte(struct folio *folio, struct vm_area_struct *vma,
			     unsigned long addr, int flags);
void folio_add_file_rmap_pte(struct folio *folio, struct vm_area_struct *vma);
void folio_remove_rmap_pte(struct folio *folio, struct vm_area_struct *vma);
int folio_try_share_anon_rmap_pte(struct folio *folio);
void folio_move_anon_rmap(struct folio *folio, struct vm_area_struct *vma);

#define GUP_PIN_COUNTING_BIAS 1024

static inline bool folio_maybe_dma_pinned(const struct folio *folio)
{
	return folio_ref_count(folio) >= GUP_PIN_COUNTING_BIAS;
}

static inline bool folio_needs_cow_for_dma(struct vm_area_struct *vma, struct folio *folio)
{
	if (!(vma->vm_mm->flags & (1UL << MMF_HAS_PINNED)))
		return false;
	return folio_maybe_dma_pinned(folio);
}

/*
 * folio_try_dup_anon_rmap_pte - fork shares an anon page: the page stops
 * being exclusive (cleared only where set, no write to a shared page).
 * -EBUSY when it is exclusive and may be pinned: the caller must copy it
 * for the child instead.  Inline, as in include/linux/rmap.h: fork calls
 * it for every pte.
 * Context: page table locks and write_protect_seq held.
 */
static inline int folio_try_dup_anon_rmap_pte(struct folio *folio, struct vm_area_struct *src_vma)
{
	if (PageAnonExclusive(folio)) {
		if (folio_needs_cow_for_dma(src_vma, folio))
			return -EBUSY;
		ClearPageAnonExclusive(folio);
	}
	folio_mapcount_inc(folio);
	return 0;
}

static inline void folio_dup_file_rmap_pte(struct folio *folio)
{
	folio_mapcount_inc(folio);
}

/* rmap_walk.c */
struct rmap_walk_control {
	void *arg;
	bool try_lock;			/* give up rather than sleep on the rmap lock */
	bool contended;			/* out: the rmap lock was contended */
	bool (*rmap_one)(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
			 void *arg);
	int (*done)(struct folio *folio);
	struct anon_vma *(*anon_lock)(struct folio *folio, struct rmap_walk_control *rwc);
	bool (*invalid_vma)(struct vm_area_struct *vma, void *arg);
};

unsigned long vma_address(const struct vm_area_struct *vma, pgoff_t pgoff, unsigned long nr);
void rmap_walk(struct folio *folio, struct rmap_walk_control *rwc);
/* The VMAs of an interval-tree walk, collected to be visited in another order. */
struct vma_walk_list {
	struct vm_area_struct **vmas;
	unsigned long *starts;		/* vm_pgoff of each */
	int nr, cap;
};
void vma_walk_list_add(struct vma_walk_list *wl, struct vm_area_struct *vma);
void vma_walk_list_reverse_equal_starts(struct vma_walk_list *wl);
void vma_walk_list_free(struct vma_walk_list *wl);
bool i_mmap_walk_newest_first(void);
#define TTU_SYNC		0x10u
void try_to_unmap(struct folio *folio, unsigned int flags);
void try_to_migrate(struct folio *folio, unsigned int flags);

/* page_vma_mapped.c */
#define PVMW_SYNC	0x1u
#define PVMW_MIGRATION	0x2u
struct page_vma_mapped_walk {
	unsigned long pfn;
	unsigned long nr_pages;
	pgoff_t pgoff;
	struct vm_area_struct *vma;
	unsigned long address;
	pte_t *pte;
	spinlock_t *ptl;
	unsigned int flags;
};
bool page_vma_mapped_walk(struct page_vma_mapped_walk *pvmw);
void page_vma_mapped_walk_done(struct page_vma_mapped_walk *pvmw);

/* ------------------------------------------------------------------ */
/* migrate.c, compaction.c */

enum migrate_mode {
	MIGRATE_ASYNC,		/* never sleeps on a folio lock */
	MIGRATE_SYNC,		/* may sleep (move_pages, sysfs compaction) */
};

enum migrate_reason {
	MR_COMPACTION,
	MR_SYSCALL,		/* move_pages */
};

/* Allocate the destination of @src; put back one that was not used. */
typedef struct folio *(*new_folio_t)(struct folio *src, unsigned long private);
typedef void (*free_folio_t)(struct folio *dst, unsigned long private);

int migrate_pages(struct list_head *from, new_folio_t get_new_folio, free_folio_t put_new_folio,
		  unsigned long private, enum migrate_mode mode, enum migrate_reason reason);
void putback_movable_pages(struct list_head *l);
void remove_migration_ptes(struct folio *src, struct folio *dst);

/* ------------------------------------------------------------------ */
/* filemap.c, truncate.c, shmem.c, inode.c: the page cache */

int filemap_add_folio(struct address_space *mapping, struct folio *folio, pgoff_t index);
void filemap_remove_folio(struct folio *folio);	/* folio locked; clears ->mapping */
struct folio *filemap_get_folio(struct address_space *mapping, pgoff_t index);	/* +1 ref */
/* The first cached folio in [*index, end] (*index moved to it), +1 ref; NULL if none. */
struct folio *filemap_find_get(struct address_space *mapping, uint64_t *index, pgoff_t end);
struct folio *filemap_grab_folio(struct address_space *mapping, pgoff_t index, int *err);
vm_fault_t filemap_fault(struct vm_fault *vmf);
vm_fault_t filemap_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff);
vm_fault_t filemap_page_mkwrite(struct vm_fault *vmf);
vm_fault_t shmem_fault(struct vm_fault *vmf);
void folio_mark_dirty(struct folio *folio);
unsigned long filemap_readahead(struct file *file, pgoff_t start, pgoff_t end);
long filemap_read(struct address_space *mapping, unsigned char *buf, unsigned long len,
		  unsigned long long pos);
long generic_perform_write(struct file *file, const struct user_buf *buf, unsigned long long pos);
void file_read_disk(struct inode *inode, pgoff_t index, unsigned char *dst);
int file_write_disk(struct inode *inode, pgoff_t index, const unsigned char *src);
void file_truncate_disk(struct inode *inode, loff_t newsize);
int folio_writeback_clean(struct folio *folio);	/* write a dirty file folio to disk */
bool mapping_evict_folio(struct address_space *mapping, struct folio *folio);

/* smp_load_acquire / smp_store_release: i_size is read without i_rwsem */
static inline loff_t i_size_read(const struct inode *inode) { return __atomic_load_n(&inode->i_size, __ATOMIC_ACQUIRE); }
static inline void i_size_write(struct inode *inode, loff_t size) { __atomic_store_n(&inode->i_size, size, __ATOMIC_RELEASE); }

void truncate_pagecache(struct inode *inode, loff_t newsize);
void truncate_inode_pages_range(struct address_space *mapping, loff_t lstart, loff_t lend);
void truncate_inode_pages_final(struct address_space *mapping);
void pagecache_isize_extended(struct inode *inode, loff_t from, loff_t to);

struct file *shmem_zero_setup(unsigned long size);
struct inode *inode_alloc(const char *name, bool shmem);
struct file *alloc_file(struct inode *inode);
void iput(struct inode *inode);

/* ------------------------------------------------------------------ */
/* gup.c, madvise.c, mprotect.c, vmscan.c, uaccess.c */

#define FOLL_WRITE	0x01u
#define FOLL_FORCE	0x10u
#define FOLL_MADV_POPULATE 0x80000u

long populate_vma_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			     int *locked);
int get_user_pages_remote(struct mm_struct *mm, unsigned long addr, unsigned int gup_flags,
			  struct folio **foliop);
long faultin_page_range(struct mm_struct *mm, unsigned long start, unsigned long end,
			bool write, int *locked);
unsigned long mm_populate(struct mm_struct *mm, unsigned long start, unsigned long len);

int mprotect_fixup(struct vm_area_struct *vma, struct vm_area_struct **pprev, unsigned long start,
		   unsigned long end, unsigned long newflags);
unsigned long reclaim_pages(struct list_head *folio_list, bool ignore_references);

vm_fault_t do_user_addr_fault(struct mm_struct *mm, unsigned long addr, bool write);

/* ------------------------------------------------------------------ */
/* validate.c: the invariant checker */

/* Run every invariant now; reports go to the sink (ex_report). */
void vm_check_all(void);
/*
 * vm_check_step - the checks after one step of the explorer.  Unless
 * @quiescent (no thread inside a statement), objects other threads are in
 * the middle of changing are skipped: folios whose lock is held, counts
 * while a page-table lock is held, rmap lookups while the mm's VMAs or the
 * folio's rmap tree are write-locked, files with a truncate in flight; a
 * refcount need only cover its accounted references (a thread in flight
 * may hold more), and the totals (frames, rss, anon_vmas, nrpages) wait
 * for a quiescent step.
 */
void vm_check_step(bool quiescent);
/* After every process exited and caches were dropped: report leaks. */
void vm_check_leaks(void);

#endif /* RMAPLAB_MM_INTERNAL_H */
