/*
 * mm/mm.h - the model's interface: object helpers used across mm/, and
 * the entry points the scenario interpreter calls (the "syscalls").
 *
 * Errors inside the model are negative errnos; "the model returned
 * -ENOMEM" is an outcome, "the model is inconsistent" is a VM_BUG_ON.
 */
#ifndef RMAPLAB_MM_MM_H
#define RMAPLAB_MM_MM_H

#include <errno.h>

#include "explore/violation.h"
#include "lib/mman.h"
#include "mm/locking.h"
#include "mm/mm_types.h"
#include "mm/mmdebug.h"
#include "mm/pgtable.h"

/* ------------------------------------------------------------------ */
/* Folio helpers (include/linux/page-flags.h, mm.h) */

/*
 * Flags, refcount and mapcount are updated atomically, as the kernel's
 * set_bit / atomic_t are: the folio lock shares the flags word, and with
 * real threads (`rmaplab stress`) several threads update them at once.
 * Relaxed, except where a count reaching zero frees the folio.
 */
static inline unsigned long folio_flags_word(const struct folio *f) { return __atomic_load_n(&f->flags, __ATOMIC_RELAXED); }
static inline bool folio_test_flag(const struct folio *f, int bit) { return (folio_flags_word(f) >> bit) & 1; }
static inline void folio_set_flag(struct folio *f, int bit) { vm_atomic_fetch_or(&f->flags, 1UL << bit, __ATOMIC_RELAXED); }
static inline void folio_clear_flag(struct folio *f, int bit) { vm_atomic_fetch_and(&f->flags, ~(1UL << bit), __ATOMIC_RELAXED); }

#define FOLIO_FLAG_FUNCS(name, bit)							\
static inline bool folio_test_##name(const struct folio *f) { return folio_test_flag(f, bit); } \
static inline void folio_set_##name(struct folio *f) { folio_set_flag(f, bit); }	\
static inline void folio_clear_##name(struct folio *f) { folio_clear_flag(f, bit); }

FOLIO_FLAG_FUNCS(referenced, PG_referenced)
FOLIO_FLAG_FUNCS(uptodate, PG_uptodate)
FOLIO_FLAG_FUNCS(dirty, PG_dirty)
FOLIO_FLAG_FUNCS(lru, PG_lru)
FOLIO_FLAG_FUNCS(active, PG_active)
FOLIO_FLAG_FUNCS(writeback, PG_writeback)
FOLIO_FLAG_FUNCS(reserved, PG_reserved)
FOLIO_FLAG_FUNCS(swapcache, PG_swapcache)
FOLIO_FLAG_FUNCS(swapbacked, PG_swapbacked)
FOLIO_FLAG_FUNCS(buddy, PG_buddy)
FOLIO_FLAG_FUNCS(isolated, PG_isolated)
FOLIO_FLAG_FUNCS(migrating, PG_migrating)	/* the checker's: see mm/mm_types.h */

/* PageAnonExclusive is per page; for small folios, the folio's flag. */
static inline bool PageAnonExclusive(const struct folio *f) { return folio_test_flag(f, PG_anon_exclusive); }
static inline void SetPageAnonExclusive(struct folio *f) { folio_set_flag(f, PG_anon_exclusive); }
static inline void ClearPageAnonExclusive(struct folio *f) { folio_clear_flag(f, PG_anon_exclusive); }

static inline int folio_nid(const struct folio *f) { return (int)((folio_flags_word(f) >> FOLIO_NODE_SHIFT) & FOLIO_FIELD_MASK); }
static inline unsigned int folio_order(const struct folio *f) { return (unsigned int)((folio_flags_word(f) >> FOLIO_ORDER_SHIFT) & FOLIO_FIELD_MASK); }
static inline long folio_nr_pages(const struct folio *f) { return 1L << folio_order(f); }

static inline unsigned long folio_pfn(const struct folio *f) { return (unsigned long)(f - machine->mem_map); }
static inline struct folio *pfn_folio(unsigned long pfn) { return &machine->mem_map[pfn]; }
static inline bool pfn_valid(unsigned long pfn) { return pfn < machine->max_pfn; }
static inline unsigned char *folio_address(const struct folio *f) { return f->virtual; }

/*
 * folio->mapping of an anon folio changes under the folio lock while
 * others test it without (folio_move_anon_rmap's WRITE_ONCE: the anon_vma
 * and the anon bit are seen together, or not at all).
 */
static inline struct address_space *folio_mapping_once(const struct folio *f)
{
	return __atomic_load_n(&f->mapping, __ATOMIC_RELAXED);
}

static inline bool folio_test_anon(const struct folio *f)
{
	return ((unsigned long)(uintptr_t)folio_mapping_once(f) & FOLIO_MAPPING_ANON) != 0;
}

static inline struct anon_vma *folio_anon_vma(const struct folio *f)
{
	unsigned long mapping = (unsigned long)(uintptr_t)folio_mapping_once(f);

	if (!(mapping & FOLIO_MAPPING_ANON))
		return NULL;
	return (struct anon_vma *)(uintptr_t)(mapping & ~FOLIO_MAPPING_ANON);
}

/* The file mapping of a page-cache folio (NULL for anon or truncated). */
static inline struct address_space *folio_mapping(const struct folio *f)
{
	struct address_space *mapping = folio_mapping_once(f);

	return ((unsigned long)(uintptr_t)mapping & FOLIO_MAPPING_ANON) ? NULL : mapping;
}

static inline int folio_mapcount(const struct folio *f) { return __atomic_load_n(&f->_mapcount, __ATOMIC_RELAXED) + 1; }
static inline bool folio_mapped(const struct folio *f) { return folio_mapcount(f) > 0; }
static inline int folio_ref_count(const struct folio *f) { return __atomic_load_n(&f->_refcount, __ATOMIC_RELAXED); }
static inline bool is_zero_folio(const struct folio *f) { return f == machine->zero_folio; }

static inline void folio_get(struct folio *f)
{
	VM_BUG_ON_FOLIO(folio_ref_count(f) <= 0, f);
	atomic_point("folio_get");
	vm_atomic_fetch_add(&f->_refcount, 1, __ATOMIC_RELAXED);
}

/*
 * folio_try_get - the speculative reference of a lockless page-cache
 * lookup (atomic_add_unless(&_refcount, 1, 0)): fails on a folio whose
 * last reference is gone, which the finder may still have seen in the
 * tree an instant before.
 */
static inline bool folio_try_get(struct folio *f)
{
	int old;

	atomic_point("folio_try_get");
	old = __atomic_load_n(&f->_refcount, __ATOMIC_RELAXED);
	do {
		if (old == 0)
			return false;
	} while (!vm_atomic_cmpxchg(&f->_refcount, &old, old + 1, __ATOMIC_ACQUIRE));
	return true;
}

static inline void folio_ref_add(struct folio *f, int nr)
{
	VM_BUG_ON_FOLIO(folio_ref_count(f) <= 0, f);
	atomic_point("folio_ref_add");
	vm_atomic_fetch_add(&f->_refcount, nr, __ATOMIC_RELAXED);
}

/* atomic_inc / atomic_dec of _mapcount (updated under different PTLs at once) */
static inline void folio_mapcount_inc(struct folio *f)
{
	atomic_point("folio_mapcount_inc");
	vm_atomic_fetch_add(&f->_mapcount, 1, __ATOMIC_RELAXED);
}

static inline void folio_mapcount_dec(struct folio *f)
{
	atomic_point("folio_mapcount_dec");
	vm_atomic_fetch_sub(&f->_mapcount, 1, __ATOMIC_RELAXED);
}

/*
 * folio_ref_freeze - the refcount from @count to 0 if it is exactly @count
 * (atomic_cmpxchg): a lockless lookup's folio_try_get fails meanwhile, so
 * nobody new can take a reference.  folio_ref_unfreeze sets it to @count.
 */
static inline bool folio_ref_freeze(struct folio *f, int count)
{
	atomic_point("folio_ref_freeze");
	return vm_atomic_cmpxchg(&f->_refcount, &count, 0, __ATOMIC_ACQUIRE);
}

static inline void folio_ref_unfreeze(struct folio *f, int count)
{
	VM_BUG_ON_FOLIO(folio_ref_count(f) != 0, f);
	__atomic_store_n(&f->_refcount, count, __ATOMIC_RELEASE);
}

/*
 * folio_expected_ref_count - the references a folio's own state accounts
 * for (kernel-reference §2.3): the swap cache's, the page cache's (file
 * folios with a mapping), PG_private's, and one per page-table mapping.
 * A migration entry counts nowhere.  Anything above this plus what the
 * caller holds is someone else's (a GUP pin, a lookup in flight).
 */
static inline int folio_expected_ref_count(const struct folio *f)
{
	int refs = 0;

	if (folio_test_swapcache(f))
		refs += (int)folio_nr_pages(f);
	if (!folio_test_anon(f)) {
		refs += folio_mapping_once(f) ? (int)folio_nr_pages(f) : 0;
		refs += folio_test_flag(f, PG_private);
	}
	return refs + folio_mapcount(f);
}

void folio_put(struct folio *folio);		/* frees on the last reference */
void folio_put_refs(struct folio *folio, int refs);

/* ------------------------------------------------------------------ */
/* VMA helpers */

/*
 * READ_ONCE(vma->anon_vma): anon_vma_prepare sets it once under
 * page_table_lock with mmap_lock held only for reading, so faults of other
 * threads test it without a lock.
 */
static inline struct anon_vma *vma_anon_vma_once(const struct vm_area_struct *vma)
{
	return __atomic_load_n(&vma->anon_vma, __ATOMIC_ACQUIRE);
}

static inline bool vma_is_anonymous(const struct vm_area_struct *vma) { return !vma->vm_file; }
static inline unsigned long vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

static inline pgoff_t linear_page_index(const struct vm_area_struct *vma, unsigned long addr)
{
	return ((addr - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff;
}

/* READ_ONCE: try_to_migrate's walk tests it with no mmap_lock (exec clears the flag under it) */
static inline bool vma_is_temporary_stack(const struct vm_area_struct *vma)
{
	unsigned long flags = __atomic_load_n(&vma->vm_flags, __ATOMIC_RELAXED);

	if (!(flags & VM_GROWSDOWN))
		return false;
	return (flags & VM_STACK_INCOMPLETE_SETUP) == VM_STACK_INCOMPLETE_SETUP;
}

static inline bool is_cow_mapping(unsigned long flags)
{
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}

static inline bool vma_is_accessible(const struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_ACCESS_FLAGS;
}

static inline unsigned long vm_start_gap(const struct vm_area_struct *vma)
{
	unsigned long start = vma->vm_start;

	if (vma->vm_flags & VM_GROWSDOWN) {
		start -= STACK_GUARD_GAP;
		if (start > vma->vm_start)
			start = 0;
	}
	return start;
}


/* ------------------------------------------------------------------ */
/* The machine (mm/mm_init.c, mm/page_alloc.c) */

struct machine *machine_create(const struct vm_config *config, const struct vm_variants *variants);
/* Frees every object through the allocation list: safe after a VM_BUG_ON. */
void machine_destroy(struct machine *m);
/* Unmap the frame data kept for config.populate machines (bench). */
void machine_release_arena(void);

void *vm_alloc(enum vm_alloc_site site, size_t size);	/* zeroed; NULL on (injected) failure */
void vm_free(enum vm_alloc_site site, void *ptr);
bool vm_should_fail(enum vm_alloc_site site);		/* consume one injection decision */
const char *vm_alloc_site_name(enum vm_alloc_site site);
void vm_inject(enum vm_alloc_site site, unsigned long after, unsigned long times);

#define __GFP_ZERO 0x1u
#define __GFP_THISNODE 0x2u	/* on @nid only: no fallback to the other nodes */
struct folio *folio_alloc(unsigned int gfp, unsigned int order, int nid);	/* nid < 0: any */
struct folio *vma_alloc_folio(unsigned int gfp, unsigned int order, struct vm_area_struct *vma,
			      unsigned long addr);

/* ------------------------------------------------------------------ */
/* Real threads (`rmaplab stress`; mm/threads.c) */

extern bool vm_real_threads;		/* the scenario's threads are pthreads */
void vm_set_real_threads(bool on);

/*
 * Host locks: pthread mutexes for the kernel's locks the model leaves
 * out, taken only with real threads (never lock classes, never schedule
 * points).  No model lock is taken under one; the disk lock is the only
 * one held while taking another (the zone lock, to allocate a block).
 */
enum vm_host_lock {
	VM_ZONE_LOCK,		/* zone->lock and the slab's: the frame allocator, vm_alloc */
	VM_MMLIST_LOCK,		/* mmlist_lock: machine->mm_list */
	VM_INODE_LIST_LOCK,	/* inode_sb_list_lock: machine->inode_list */
	VM_DISK_LOCK,		/* the filesystem's block map (ext4's i_data_sem): inode->disk */
	VM_NR_HOST_LOCKS
};
void vm_host_lock_slow(enum vm_host_lock l);
void vm_host_unlock_slow(enum vm_host_lock l);
static inline void vm_host_lock(enum vm_host_lock l) { if (vm_real_threads) vm_host_lock_slow(l); }
static inline void vm_host_unlock(enum vm_host_lock l) { if (vm_real_threads) vm_host_unlock_slow(l); }

/*
 * A CPU's access to one page (mm/uaccess.c) against the freeing of page
 * tables (free_pgd_range): with real threads, the walk and the copy
 * happen under vm_cpu_access_begin/end, and tables are freed between
 * vm_tlb_shootdown_begin/end, which waits for the accesses in flight.
 */
void vm_cpu_access_begin_slow(void);
void vm_cpu_access_end_slow(void);
void vm_tlb_shootdown_begin_slow(void);
void vm_tlb_shootdown_end_slow(void);
static inline void vm_cpu_access_begin(void) { if (vm_real_threads) vm_cpu_access_begin_slow(); }
static inline void vm_cpu_access_end(void) { if (vm_real_threads) vm_cpu_access_end_slow(); }
static inline void vm_tlb_shootdown_begin(void) { if (vm_real_threads) vm_tlb_shootdown_begin_slow(); }
static inline void vm_tlb_shootdown_end(void) { if (vm_real_threads) vm_tlb_shootdown_end_slow(); }

/*
 * An allocation failed in this statement: set by the allocators, cleared
 * and read by the runner.  Per simulated or real thread (mm/threads.c);
 * machine->alloc_failed when there is none.
 */
void vm_note_alloc_failed(void);
bool vm_alloc_failed(void);
void vm_alloc_failed_clear(void);

/*
 * Page data: memcpy / memset where either side may be a frame's data.
 * With real threads the copy holds the frame's data lock, so a copy within
 * one page is atomic with respect to other threads.
 */
void vm_data_copy(unsigned char *dst, const unsigned char *src, size_t n);
void vm_data_fill(unsigned char *dst, int c, size_t n);

/* ------------------------------------------------------------------ */
/* Entry points for the interpreter: processes, files, syscalls. */

struct task_struct *task_create(void);			/* proc P: NULL on ENOMEM */
int copy_process(struct task_struct *parent, struct task_struct **childp);	/* fork */
void do_exit(struct task_struct *task);		/* exit: frees the task */
/* exec: the lowest argument address or -errno; *killed: the task is gone */
long do_execve_mm(struct task_struct *task, unsigned long argsize, bool *killed);

/* A source of bytes for writes: literal bytes, or one byte repeated. */
struct user_buf {
	const unsigned char *bytes;	/* NULL: every byte is fill */
	unsigned char fill;
	unsigned long len;
};

static inline unsigned char user_buf_byte(const struct user_buf *b, unsigned long i)
{
	return b->bytes ? b->bytes[i] : b->fill;
}

void user_buf_copy(unsigned char *dst, const struct user_buf *src, unsigned long off,
		   unsigned long n);

/* Results of user accesses (the CPU): 0, or one of these. */
enum uaccess_fault {
	UA_OK = 0,
	UA_SIGSEGV,
	UA_SIGBUS,
	UA_ENOMEM,
};

/* write P ADDR DATA / read P ADDR LEN, page by page; *done = pages completed */
enum uaccess_fault uaccess_write(struct mm_struct *mm, unsigned long addr,
				 const struct user_buf *buf, unsigned long *done);
enum uaccess_fault uaccess_read(struct mm_struct *mm, unsigned long addr, unsigned char *out,
				unsigned long len, unsigned long *done);

/* mmap(2) and friends: the result, or a negative errno. *progress: pages populated */
long sys_mmap(struct mm_struct *mm, unsigned long addr, unsigned long len, unsigned long prot,
	      unsigned long flags, struct file *file, unsigned long off, unsigned long *progress);
int sys_munmap(struct mm_struct *mm, unsigned long addr, unsigned long len);
int sys_mprotect(struct mm_struct *mm, unsigned long addr, unsigned long len, unsigned long prot);
/* mremap(2): MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP; the new address or -errno */
long sys_mremap(struct mm_struct *mm, unsigned long addr, unsigned long old_len,
		unsigned long new_len, unsigned long flags, unsigned long new_addr);
int sys_madvise(struct mm_struct *mm, unsigned long addr, unsigned long len, int behavior,
		unsigned long *progress);

/* Files (models fs/: open, read, write, ftruncate) */
/* NULL on ENOMEM; ERR_PTR(-EINVAL / -EFBIG) for a bad size */
struct file *file_create(const char *name, unsigned long long size, bool memfd);
void fput(struct file *file);
static inline struct file *get_file(struct file *f)
{
	__atomic_fetch_add(&f->f_count, 1, __ATOMIC_RELAXED);
	return f;
}
int rw_verify(unsigned long long pos, unsigned long long count);	/* -EINVAL, -EFAULT */
long kernel_read(struct file *file, unsigned char *buf, unsigned long size,
		 unsigned long long count, unsigned long long pos);
long kernel_write(struct file *file, const struct user_buf *buf, unsigned long long pos);
int do_truncate(struct file *file, unsigned long long length);

/* Drop every clean, unmapped page-cache page (echo 1 > drop_caches). */
void drop_pagecache(void);

/*
 * Kernel operations (mm/migrate.c, mm/compaction.c).  @node < 0: the
 * statement's default (another node; every node).  0 or a negative errno.
 */
int sys_move_pages(struct mm_struct *mm, unsigned long addr, int node);	/* one page */
int compact_nodes(int node);

#endif /* RMAPLAB_MM_MM_H */
