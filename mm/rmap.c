/*
 * mm/rmap.c - physical to virtual reverse mappings (model)
 *
 * Models: anon_vma_prepare, anon_vma_clone (with fork's reuse rule),
 *         anon_vma_fork, unlink_anon_vmas, put_anon_vma,
 *         folio_lock_anon_vma_read, folio_get_anon_vma, and the mapcount
 *         operations folio_add_new_anon_rmap, folio_add_anon_rmap_pte,
 *         folio_add_file_rmap_pte, folio_remove_rmap_pte,
 *         folio_try_dup_anon_rmap_pte, folio_try_share_anon_rmap_pte,
 *         folio_move_anon_rmap (Linux 7.0).  The walks are in
 *         mm/rmap_walk.c and mm/page_vma_mapped.c.
 * Leaves out: KSM, hugetlb, large-folio mapcounts (order-0 only for now),
 *         memory cgroups, RCU (anon_vmas are freed only when unreferenced).
 *
 * Lock ordering in mm:
 *
 * i_rwsem			(inode; writers and truncation only)
 *   mmap_lock
 *     invalidate_lock		(mapping; shared in filemap_fault)
 *       folio_lock		(PG_locked)
 *         i_mmap_rwsem		(mapping)
 *           anon_vma->rwsem	(always the root's)
 *             page_table_lock	(mm->page_table_lock or the split PTE lock)
 *               swap_lock
 *                 i_pages	(the page cache's xarray lock)
 *                   lru_lock	(lruvec)
 *
 * Same-class nesting, annotated as the kernel annotates it for lockdep:
 * the parent's then the child's mmap_lock in dup_mmap; the destination's
 * then the source's PTE lock in copy_pte_range; the old then the new PTE
 * lock in move_ptes; the source then the destination folio lock in
 * migration.  explore/lock.c holds this order as data (ex_lock_order) and
 * checks every blocking acquire against it; tests/unit/test_lock.c keeps
 * this picture and that table in step.
 */
#include "mm/internal.h"

/* ------------------------------------------------------------------ */
/* anon_vma objects */

static struct anon_vma *anon_vma_alloc(void)
{
	struct anon_vma *anon_vma = vm_alloc(VM_ALLOC_ANON_VMA, sizeof(*anon_vma));

	if (!anon_vma)
		return NULL;
	anon_vma->refcount = 1;
	anon_vma->num_children = 0;
	anon_vma->num_active_vmas = 0;
	anon_vma->parent = anon_vma;
	anon_vma->root = anon_vma;
	anon_vma->rb_root = RB_ROOT_CACHED;
	ex_lock_init(&anon_vma->rwsem, &ex_class_anon_vma);
	anon_vma->id = __atomic_add_fetch(&machine->next_anon_vma_id, 1, __ATOMIC_RELAXED);
	return anon_vma;
}

static void anon_vma_free(struct anon_vma *anon_vma)
{
	VM_BUG_ON(anon_vma->refcount);
	/*
	 * A reader that won anon_vma_trylock_read in folio_lock_anon_vma_read
	 * may still hold the root's lock: wait it out (as the kernel does).
	 */
	if (ex_lock_is_locked(&anon_vma->root->rwsem)) {
		anon_vma_lock_write(anon_vma);
		anon_vma_unlock_write(anon_vma);
	}
	vm_free(VM_ALLOC_ANON_VMA, anon_vma);
}

void get_anon_vma(struct anon_vma *anon_vma)
{
	VM_BUG_ON(__atomic_load_n(&anon_vma->refcount, __ATOMIC_RELAXED) <= 0);
	__atomic_fetch_add(&anon_vma->refcount, 1, __ATOMIC_RELAXED);
}

static void put_anon_vma_final(struct anon_vma *anon_vma)
{
	struct anon_vma *root = anon_vma->root;

	anon_vma_free(anon_vma);
	if (root != anon_vma && __atomic_sub_fetch(&root->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		anon_vma_free(root);
}

void put_anon_vma(struct anon_vma *anon_vma)
{
	VM_BUG_ON(__atomic_load_n(&anon_vma->refcount, __ATOMIC_RELAXED) <= 0);
	if (__atomic_sub_fetch(&anon_vma->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		put_anon_vma_final(anon_vma);
}

static struct anon_vma_chain *anon_vma_chain_alloc(void)
{
	return vm_alloc(VM_ALLOC_AVC, sizeof(struct anon_vma_chain));
}

static void anon_vma_chain_free(struct anon_vma_chain *avc)
{
	vm_free(VM_ALLOC_AVC, avc);
}

static void anon_vma_chain_assign(struct vm_area_struct *vma, struct anon_vma_chain *avc,
				  struct anon_vma *anon_vma)
{
	avc->vma = vma;
	avc->anon_vma = anon_vma;
	list_add(&avc->same_vma, &vma->anon_vma_chain);
}

/* ------------------------------------------------------------------ */
/* anon_vma_prepare */

/* anon_vma_compatible (mm/vma.c): could @a and @b share one anon_vma? */
static bool anon_vma_compatible(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a->vm_end == b->vm_start && a->vm_file == b->vm_file &&
	       !((a->vm_flags ^ b->vm_flags) & ~(VM_ACCESS_FLAGS | VM_IGNORE_MERGE)) &&
	       b->vm_pgoff == a->vm_pgoff + ((b->vm_start - a->vm_start) >> PAGE_SHIFT);
}

static struct anon_vma *reusable_anon_vma(struct vm_area_struct *old, struct vm_area_struct *a,
					  struct vm_area_struct *b)
{
	struct anon_vma *anon_vma = vma_anon_vma_once(old);

	if (anon_vma && list_is_singular(&old->anon_vma_chain) && anon_vma_compatible(a, b))
		return anon_vma;
	return NULL;
}

/* find_mergeable_anon_vma: a neighbour's anon_vma, next first, then prev. */
static struct anon_vma *find_mergeable_anon_vma(struct vm_area_struct *vma)
{
	struct anon_vma *anon_vma = NULL;

	if (vma->vm_next)
		anon_vma = reusable_anon_vma(vma->vm_next, vma, vma->vm_next);
	if (!anon_vma && vma->vm_prev)
		anon_vma = reusable_anon_vma(vma->vm_prev, vma->vm_prev, vma);
	return anon_vma;
}

/**
 * anon_vma_prepare - give @vma an anon_vma before its first anon page:
 * a compatible neighbour's (not shared through fork), or a new root.
 * Returns 0 or -ENOMEM.
 * Context: mmap_lock held (read is enough); takes the anon_vma lock, then
 * page_table_lock (against another thread of the mm doing the same).
 */
int anon_vma_prepare(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anon_vma *anon_vma, *allocated = NULL;
	struct anon_vma_chain *avc;

	if (vma_anon_vma_once(vma))
		return 0;
	mmap_assert_locked(mm);
	avc = anon_vma_chain_alloc();
	if (!avc)
		return -ENOMEM;
	anon_vma = find_mergeable_anon_vma(vma);
	if (!anon_vma) {
		anon_vma = anon_vma_alloc();
		if (!anon_vma) {
			anon_vma_chain_free(avc);
			return -ENOMEM;
		}
		anon_vma->num_children++;	/* self-parent link for a new root */
		allocated = anon_vma;
	}
	anon_vma_lock_write(anon_vma);
	spin_lock(&mm->page_table_lock);
	if (!vma_anon_vma_once(vma)) {
		/* published for the lockless checks above, after the anon_vma is set up */
		__atomic_store_n(&vma->anon_vma, anon_vma, __ATOMIC_RELEASE);
		anon_vma_chain_assign(vma, avc, anon_vma);
		anon_vma_interval_tree_insert(avc, &anon_vma->rb_root);
		anon_vma->num_active_vmas++;
		allocated = NULL;
		avc = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	anon_vma_unlock_write(anon_vma);
	if (allocated)
		put_anon_vma(allocated);
	if (avc)
		anon_vma_chain_free(avc);
	return 0;
}

/* ------------------------------------------------------------------ */
/* clone, fork, unlink */

static void cleanup_partial_anon_vmas(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc, *next;

	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		list_del(&avc->same_vma);
		anon_vma_chain_free(avc);
	}
	vma->anon_vma = NULL;
}

/*
 * maybe_reuse_anon_vma - fork: adopt @anon_vma as the child's own when no
 * VMA uses it as its own and it has at most one child (kernel-reference
 * §3.4: this keeps a forking server's chain from growing without bound).
 */
static void maybe_reuse_anon_vma(struct vm_area_struct *dst, struct anon_vma *anon_vma)
{
	if (dst->anon_vma)
		return;
	if (anon_vma->num_active_vmas > 0)
		return;
	if (anon_vma->num_children > 1)
		return;
	dst->anon_vma = anon_vma;
	anon_vma->num_active_vmas++;
}

/**
 * anon_vma_clone - link @dst into every anon_vma @src is linked into.
 * All AVCs are allocated first, then inserted under the root lock taken
 * once.  For VMA_OP_FORK an existing anon_vma may become dst's own;
 * otherwise dst->anon_vma (already equal to src's) gains an active VMA.
 * Returns 0 or -ENOMEM (dst then has no AVCs and no anon_vma).
 * Context: mmap_lock of src's mm held for writing; takes the anon_vma lock.
 */
int anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src, enum vma_operation op)
{
	struct anon_vma_chain *pavc, *avc;
	struct anon_vma *anon_vma;

	if (!src->anon_vma)
		return 0;
	VM_BUG_ON_VMA(op != VMA_OP_FORK && dst->anon_vma != src->anon_vma, dst);
	list_for_each_entry(pavc, &src->anon_vma_chain, same_vma) {
		avc = anon_vma_chain_alloc();
		if (!avc) {
			cleanup_partial_anon_vmas(dst);
			return -ENOMEM;
		}
		anon_vma_chain_assign(dst, avc, pavc->anon_vma);
	}
	anon_vma = src->anon_vma;
	anon_vma_lock_write(anon_vma);
	list_for_each_entry_reverse(avc, &dst->anon_vma_chain, same_vma) {
		anon_vma_interval_tree_insert(avc, &avc->anon_vma->rb_root);
		if (op == VMA_OP_FORK)
			maybe_reuse_anon_vma(dst, avc->anon_vma);
	}
	if (op != VMA_OP_FORK)
		dst->anon_vma->num_active_vmas++;
	anon_vma_unlock_write(anon_vma);
	return 0;
}

/**
 * anon_vma_fork - fork: link the child @vma into all of @pvma's anon_vmas
 * (so rmap finds the pages it shares with the parent), then give it an
 * anon_vma of its own for the pages it will COW, unless clone reused one.
 * Returns 0 or -ENOMEM.
 * Context: both mmap_locks held for writing; takes the anon_vma lock.
 */
int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	struct anon_vma_chain *avc;
	struct anon_vma *anon_vma;
	int rc;

	if (!pvma->anon_vma)
		return 0;
	vma->anon_vma = NULL;
	anon_vma = anon_vma_alloc();
	if (!anon_vma)
		return -ENOMEM;
	avc = anon_vma_chain_alloc();
	if (!avc) {
		put_anon_vma(anon_vma);
		return -ENOMEM;
	}
	rc = anon_vma_clone(vma, pvma, VMA_OP_FORK);
	if (rc || vma->anon_vma) {
		put_anon_vma(anon_vma);
		anon_vma_chain_free(avc);
		return rc;
	}
	anon_vma->num_active_vmas = 1;
	anon_vma->root = pvma->anon_vma->root;
	anon_vma->parent = pvma->anon_vma;
	get_anon_vma(anon_vma->root);
	vma->anon_vma = anon_vma;
	anon_vma_chain_assign(vma, avc, anon_vma);
	anon_vma_lock_write(anon_vma);
	anon_vma_interval_tree_insert(avc, &anon_vma->rb_root);
	anon_vma->parent->num_children++;
	anon_vma_unlock_write(anon_vma);
	return 0;
}

/**
 * unlink_anon_vmas - take @vma out of every anon_vma tree; free the
 * anon_vmas that became empty (outside the lock: freeing may need it).
 * Context: mmap_lock held; takes the anon_vma lock.
 */
void unlink_anon_vmas(struct vm_area_struct *vma)
{
	struct anon_vma *active = vma->anon_vma;
	struct anon_vma_chain *avc, *next;

	mmap_assert_locked(vma->vm_mm);
	if (!active) {
		VM_BUG_ON_VMA(!list_empty(&vma->anon_vma_chain), vma);
		return;
	}
	anon_vma_lock_write(active);
	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *anon_vma = avc->anon_vma;

		anon_vma_interval_tree_remove(avc, &anon_vma->rb_root);
		if (RB_EMPTY_ROOT(&anon_vma->rb_root.rb_root)) {
			anon_vma->parent->num_children--;
			continue;	/* freed below, outside the lock */
		}
		list_del(&avc->same_vma);
		anon_vma_chain_free(avc);
	}
	active->num_active_vmas--;
	vma->anon_vma = NULL;
	anon_vma_unlock_write(active);

	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *anon_vma = avc->anon_vma;

		VM_BUG_ON(anon_vma->num_children || anon_vma->num_active_vmas);
		list_del(&avc->same_vma);
		anon_vma_chain_free(avc);
		put_anon_vma(anon_vma);
	}
}

void anon_vma_interval_tree_pre_update_vma(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		anon_vma_interval_tree_remove(avc, &avc->anon_vma->rb_root);
}

void anon_vma_interval_tree_post_update_vma(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		anon_vma_interval_tree_insert(avc, &avc->anon_vma->rb_root);
}

/**
 * folio_lock_anon_vma_read - the anon_lock of try_to_unmap and
 * folio_referenced: read-lock the root of a mapped folio's anon_vma,
 * keeping the anon_vma alive with a reference while sleeping for it.
 * Context: folio locked (or try_lock); may yield.
 */
struct anon_vma *folio_lock_anon_vma_read(struct folio *folio, bool try_lock, bool *contended)
{
	struct anon_vma *anon_vma = folio_anon_vma(folio);
	struct anon_vma *root;

	if (!anon_vma || !folio_mapped(folio))
		return NULL;
	root = anon_vma->root;
	if (down_read_trylock(&root->rwsem)) {
		if (!folio_mapped(folio)) {
			up_read(&root->rwsem);
			return NULL;
		}
		return anon_vma;
	}
	if (try_lock) {
		*contended = true;
		return NULL;
	}
	get_anon_vma(anon_vma);
	if (!folio_mapped(folio)) {
		put_anon_vma(anon_vma);
		return NULL;
	}
	anon_vma_lock_read(anon_vma);
	if (__atomic_sub_fetch(&anon_vma->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
		anon_vma_unlock_read(anon_vma);
		put_anon_vma_final(anon_vma);
		return NULL;
	}
	return anon_vma;
}

/**
 * folio_get_anon_vma - a reference on a mapped anon folio's anon_vma, so
 * that it outlives the folio's mappings: migration unmaps the folio
 * (mapcount 0: nothing else keeps the anon_vma alive) and walks it again
 * to restore the ptes.  NULL if the folio is not mapped (then no pte needs
 * restoring, and none can appear while the caller holds the folio lock).
 * The kernel reads ->mapping under RCU (SLAB_TYPESAFE_BY_RCU anon_vmas);
 * the model frees an anon_vma only once its tree is empty, and a mapped
 * folio keeps its tree non-empty.
 * Context: folio locked.
 */
struct anon_vma *folio_get_anon_vma(struct folio *folio)
{
	struct anon_vma *anon_vma = folio_anon_vma(folio);
	int old;

	if (!anon_vma || !folio_mapped(folio))
		return NULL;
	/* atomic_inc_not_zero: it may be on its way out */
	old = __atomic_load_n(&anon_vma->refcount, __ATOMIC_RELAXED);
	do {
		if (old == 0)
			return NULL;
	} while (!__atomic_compare_exchange_n(&anon_vma->refcount, &old, old + 1, true,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	/* Still mapped: then the anon_vma was not freed before our reference. */
	if (!folio_mapped(folio)) {
		put_anon_vma(anon_vma);
		return NULL;
	}
	return anon_vma;
}

/* ------------------------------------------------------------------ */
/* mapcounts */

static void folio_set_anon(struct folio *folio, struct vm_area_struct *vma, unsigned long address,
			   bool exclusive)
{
	struct anon_vma *anon_vma = vma->anon_vma;

	VM_BUG_ON_VMA(!anon_vma, vma);
	if (!exclusive)	/* not exclusive to this VMA: use the oldest possible anon_vma */
		anon_vma = anon_vma->root;
	__atomic_store_n(&folio->mapping,
			 (struct address_space *)(uintptr_t)((unsigned long)(uintptr_t)anon_vma |
							     FOLIO_MAPPING_ANON), __ATOMIC_RELAXED);
	folio->index = linear_page_index(vma, address);
}

/**
 * folio_add_new_anon_rmap - map a new anon folio for the first time.
 * Context: page table lock held; the folio is not yet visible to anyone.
 */
void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
			     int flags)
{
	bool exclusive = flags & RMAP_EXCLUSIVE;

	VM_BUG_ON_FOLIO(!exclusive && !folio_test_locked(folio), folio);
	VM_BUG_ON_VMA(addr < vma->vm_start || addr + PAGE_SIZE > vma->vm_end, vma);
	VM_BUG_ON_FOLIO(folio_mapped(folio), folio);
	folio_set_swapbacked(folio);
	folio_set_anon(folio, vma, addr, exclusive);
	__atomic_store_n(&folio->_mapcount, 0, __ATOMIC_RELAXED);
	if (exclusive)
		SetPageAnonExclusive(folio);
}

/**
 * folio_add_anon_rmap_pte - map an existing anon folio once more (swap-in,
 * remove_migration_pte).  Checks that the folio belongs to this VMA's
 * anon_vma hierarchy at this address.
 * Context: page table lock and folio lock held.
 */
void folio_add_anon_rmap_pte(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
			     int flags)
{
	VM_BUG_ON_FOLIO(!folio_test_anon(folio), folio);
	VM_BUG_ON_FOLIO(!folio_test_locked(folio), folio);
	VM_BUG_ON_FOLIO(folio_anon_vma(folio)->root != vma->anon_vma->root, folio);
	VM_BUG_ON_FOLIO(folio->index != linear_page_index(vma, addr), folio);
	folio_mapcount_inc(folio);
	if (flags & RMAP_EXCLUSIVE)
		SetPageAnonExclusive(folio);
	VM_BUG_ON_FOLIO(PageAnonExclusive(folio) && folio_mapcount(folio) > 1, folio);
}

/* Context: page table lock held (and the folio lock on the fault path). */
void folio_add_file_rmap_pte(struct folio *folio, struct vm_area_struct *vma)
{
	(void)vma;
	VM_BUG_ON_FOLIO(folio_test_anon(folio), folio);
	folio_mapcount_inc(folio);
}

/**
 * folio_remove_rmap_pte - one pte no longer maps the folio.  The anon
 * mapping stays set (it is reset when the folio is freed).
 * Context: page table lock held.
 */
void folio_remove_rmap_pte(struct folio *folio, struct vm_area_struct *vma)
{
	(void)vma;
	VM_BUG_ON_FOLIO(!folio_mapped(folio), folio);
	folio_mapcount_dec(folio);
}

/* Swap-out and migration: -EBUSY if the page may be pinned. Context: pte cleared. */
int folio_try_share_anon_rmap_pte(struct folio *folio)
{
	if (folio_maybe_dma_pinned(folio))
		return -EBUSY;
	ClearPageAnonExclusive(folio);
	return 0;
}

/**
 * folio_move_anon_rmap - re-file an exclusively owned folio under the
 * faulting VMA's own anon_vma (a descendant with the same root), so later
 * walks visit fewer VMAs.
 * Context: folio locked.
 */
void folio_move_anon_rmap(struct folio *folio, struct vm_area_struct *vma)
{
	VM_BUG_ON_FOLIO(!folio_test_locked(folio), folio);
	VM_BUG_ON_VMA(!vma->anon_vma, vma);
	/* WRITE_ONCE: the anon_vma and the anon bit together */
	__atomic_store_n(&folio->mapping,
			 (struct address_space *)(uintptr_t)((unsigned long)(uintptr_t)vma->anon_vma |
							     FOLIO_MAPPING_ANON), __ATOMIC_RELAXED);
}
