/*
 * mm/page_alloc.c - frames and every other allocation of the model
 *
 * Models: the buddy allocator (__free_one_page, expand, rmqueue) per
 *         node with a fixed capacity, so ENOMEM is real; folio_alloc
 *         (with __GFP_THISNODE), folio_put, __isolate_free_page for
 *         compaction's free scanner (isolate_free_frame); and one
 *         allocation function with named sites
 *         (vm_alloc) through which every object of mm/ is allocated,
 *         so `inject` reaches each site and the leak check sees them all.
 * Leaves out: zones, watermarks, per-CPU lists, compaction of free
 *         blocks, memory cgroups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "mm/internal.h"

/* Every vm_alloc object carries this header, on machine->allocations. */
struct vm_alloc_hdr {
	struct list_head list;
	int site;
	size_t size;
} __attribute__((aligned(16)));

static const char *const site_names[VM_NR_ALLOC_SITES] = {
	[VM_ALLOC_PAGE] = "page",
	[VM_ALLOC_PGTABLE] = "pgtable",
	[VM_ALLOC_VMA] = "vma",
	[VM_ALLOC_ANON_VMA] = "anon_vma",
	[VM_ALLOC_AVC] = "avc",
	[VM_ALLOC_SWAP_SLOT] = "swap_slot",
	[VM_ALLOC_MM] = "mm",
	[VM_ALLOC_TASK] = "task",
	[VM_ALLOC_INODE] = "inode",
	[VM_ALLOC_FILE] = "file",
	[VM_ALLOC_XA_NODE] = "xa_node",
	[VM_ALLOC_DISK] = "disk",
	[VM_ALLOC_TEMP] = "temp",
};

const char *vm_alloc_site_name(enum vm_alloc_site site)
{
	return site < VM_NR_ALLOC_SITES ? site_names[site] : "?";
}

void vm_inject(enum vm_alloc_site site, unsigned long after, unsigned long times)
{
	VM_BUG_ON(site >= VM_NR_INJECT_SITES);
	machine->inject[site].after = after;
	machine->inject[site].times = times;
}

bool vm_should_fail(enum vm_alloc_site site)
{
	struct vm_inject *in;
	bool fail = false;

	if (site >= VM_NR_INJECT_SITES)
		return false;
	in = &machine->inject[site];
	vm_host_lock(VM_ZONE_LOCK);	/* "by any thread": one decision at a time */
	if (!in->times)
		;
	else if (in->after)
		in->after--;
	else {
		in->times--;
		fail = true;
	}
	vm_host_unlock(VM_ZONE_LOCK);
	return fail;
}

void *vm_alloc(enum vm_alloc_site site, size_t size)
{
	struct vm_alloc_hdr *hdr;

	if (vm_should_fail(site)) {
		vm_note_alloc_failed();
		return NULL;
	}
	hdr = calloc(1, sizeof(*hdr) + size);
	if (!hdr)
		ex_panic("host out of memory (%zu bytes for %s)", size, site_names[site]);
	hdr->site = site;
	hdr->size = size;
	vm_host_lock(VM_ZONE_LOCK);
	list_add_tail(&hdr->list, &machine->allocations);
	machine->live[site]++;
	machine->live_bytes[site] += size;
	machine->total[site]++;
	vm_host_unlock(VM_ZONE_LOCK);
	return hdr + 1;
}

void vm_free(enum vm_alloc_site site, void *ptr)
{
	struct vm_alloc_hdr *hdr;

	if (!ptr)
		return;
	hdr = (struct vm_alloc_hdr *)ptr - 1;
	VM_BUG_ON(hdr->site != (int)site);
	vm_host_lock(VM_ZONE_LOCK);
	list_del(&hdr->list);
	machine->live[site]--;
	machine->live_bytes[site] -= hdr->size;
	vm_host_unlock(VM_ZONE_LOCK);
	free(hdr);
}

/* machine_destroy: free an object found on the list, whatever its state. */
void vm_alloc_release_raw(struct list_head *entry)
{
	struct vm_alloc_hdr *hdr = container_of(entry, struct vm_alloc_hdr, list);

	machine->live[hdr->site]--;
	machine->live_bytes[hdr->site] -= hdr->size;
	free(hdr);
}

/* Allocator callbacks for xarrays inside the model. */
void *vm_xa_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return vm_alloc(VM_ALLOC_XA_NODE, size);
}

void vm_xa_free(void *ctx, void *ptr)
{
	(void)ctx;
	vm_free(VM_ALLOC_XA_NODE, ptr);
}

/* ------------------------------------------------------------------ */
/* The buddy allocator */

static struct pglist_data *pfn_pgdat(unsigned long pfn)
{
	for (int nid = 0; nid < machine->nr_nodes; nid++) {
		struct pglist_data *pgdat = &machine->node_data[nid];

		if (pfn >= pgdat->node_start_pfn &&
		    pfn < pgdat->node_start_pfn + pgdat->node_spanned_pages)
			return pgdat;
	}
	return NULL;
}

static void set_buddy_order(struct folio *f, unsigned int order)
{
	f->flags &= ~(FOLIO_FIELD_MASK << FOLIO_ORDER_SHIFT);
	f->flags |= (unsigned long)order << FOLIO_ORDER_SHIFT;
	f->private = order;
	folio_set_buddy(f);
}

static bool page_is_buddy(struct pglist_data *pgdat, unsigned long pfn, unsigned int order)
{
	struct folio *f;

	if (pfn < pgdat->node_start_pfn || pfn >= pgdat->node_start_pfn + pgdat->node_spanned_pages)
		return false;
	f = pfn_folio(pfn);
	return folio_test_buddy(f) && f->private == order;
}

static void free_one_page(struct pglist_data *pgdat, unsigned long pfn, unsigned int order)
{
	while (order < MAX_PAGE_ORDER) {
		unsigned long buddy = pfn ^ (1UL << order);
		struct folio *b;

		if (!page_is_buddy(pgdat, buddy, order))
			break;
		b = pfn_folio(buddy);
		list_del(&b->lru);
		INIT_LIST_HEAD(&b->lru);
		pgdat->free_area[order].nr_free--;
		folio_clear_buddy(b);
		if (buddy < pfn)
			pfn = buddy;
		order++;
	}
	set_buddy_order(pfn_folio(pfn), order);
	list_add(&pfn_folio(pfn)->lru, &pgdat->free_area[order].free_list);
	pgdat->free_area[order].nr_free++;
}

void buddy_init(struct machine *m)
{
	for (int nid = 0; nid < m->nr_nodes; nid++) {
		struct pglist_data *pgdat = &m->node_data[nid];
		unsigned long pfn = pgdat->node_start_pfn;
		unsigned long end = pfn + pgdat->node_spanned_pages;

		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			INIT_LIST_HEAD(&pgdat->free_area[o].free_list);
		/* Largest aligned blocks first, lowest pfn first: allocation starts low. */
		while (pfn < end) {
			unsigned int order = MAX_PAGE_ORDER;
			struct folio *f;

			while (order && ((pfn & ((1UL << order) - 1)) || pfn + (1UL << order) > end))
				order--;
			f = &m->mem_map[pfn];
			set_buddy_order(f, order);
			list_add_tail(&f->lru, &pgdat->free_area[order].free_list);
			pgdat->free_area[order].nr_free++;
			pfn += 1UL << order;
		}
		pgdat->nr_free_pages = pgdat->node_spanned_pages;
	}
}

static struct folio *rmqueue(struct pglist_data *pgdat, unsigned int order)
{
	for (unsigned int o = order; o < NR_PAGE_ORDERS; o++) {
		struct free_area *area = &pgdat->free_area[o];
		struct folio *f;
		unsigned long pfn;

		if (list_empty(&area->free_list))
			continue;
		f = list_first_entry(&area->free_list, struct folio, lru);
		list_del(&f->lru);
		INIT_LIST_HEAD(&f->lru);
		area->nr_free--;
		folio_clear_buddy(f);
		pfn = folio_pfn(f);
		/* expand: give back the upper halves */
		while (o > order) {
			o--;
			set_buddy_order(pfn_folio(pfn + (1UL << o)), o);
			list_add(&pfn_folio(pfn + (1UL << o))->lru, &pgdat->free_area[o].free_list);
			pgdat->free_area[o].nr_free++;
		}
		pgdat->nr_free_pages -= 1UL << order;
		return f;
	}
	return NULL;
}

static void prep_new_folio(struct folio *f, unsigned int gfp, unsigned int order, int nid)
{
	f->flags = ((unsigned long)nid << FOLIO_NODE_SHIFT) | ((unsigned long)order << FOLIO_ORDER_SHIFT);
	if (order)
		folio_set_flag(f, PG_head);
	INIT_LIST_HEAD(&f->lru);
	f->mapping = NULL;
	f->index = 0;
	f->private = 0;
	f->_mapcount = -1;
	f->_refcount = 1;
	for (unsigned long i = 1; i < (1UL << order); i++) {
		struct folio *tail = f + i;

		tail->flags = (unsigned long)nid << FOLIO_NODE_SHIFT;
		tail->_mapcount = -1;
		tail->_refcount = 0;
		tail->mapping = NULL;
	}
	if (gfp & __GFP_ZERO)
		memset(f->virtual, 0, PAGE_SIZE << order);	/* not yet visible to anyone */
}

static void account_alloc(unsigned int order)
{
	machine->frames_in_use += 1UL << order;
	machine->live[VM_ALLOC_PAGE] += 1L << order;
	machine->total[VM_ALLOC_PAGE] += 1UL << order;
}

/**
 * folio_alloc - allocate a folio of 2^order frames, on @nid if it has room
 * (then on the other nodes in order, unless __GFP_THISNODE), or on any
 * node when @nid < 0.
 * Returns the folio with one reference, or NULL (ENOMEM, or injected).
 * Context: any; does not yield.
 */
struct folio *folio_alloc(unsigned int gfp, unsigned int order, int nid)
{
	int first = nid < 0 ? 0 : nid;
	int nr = nid >= 0 && (gfp & __GFP_THISNODE) ? 1 : machine->nr_nodes;

	if (vm_should_fail(VM_ALLOC_PAGE)) {
		vm_note_alloc_failed();
		return NULL;
	}
	vm_host_lock(VM_ZONE_LOCK);
	for (int i = 0; i < nr; i++) {
		int n = (first + i) % machine->nr_nodes;
		struct folio *f = rmqueue(&machine->node_data[n], order);

		if (f) {
			account_alloc(order);
			/*
			 * Prepared under the zone lock: compaction's scanners look
			 * at any frame (with real threads, under this lock).
			 */
			prep_new_folio(f, gfp, order, n);
			vm_host_unlock(VM_ZONE_LOCK);
			return f;
		}
	}
	vm_host_unlock(VM_ZONE_LOCK);
	vm_note_alloc_failed();
	return NULL;
}

/* The head pfn and order of the free buddy block that holds @pfn, or false. */
static bool find_buddy_block(struct pglist_data *pgdat, unsigned long pfn, unsigned long *head,
			     unsigned int *order)
{
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		unsigned long h = pfn & ~((1UL << o) - 1);

		if (page_is_buddy(pgdat, h, o)) {
			*head = h;
			*order = o;
			return true;
		}
	}
	return false;
}

/**
 * isolate_free_frame - take the free frame @pfn out of the buddy allocator,
 * as compaction's free scanner does (isolate_freepages_block ->
 * __isolate_free_page: the free block that holds @pfn comes off its free
 * list; the model keeps only @pfn and frees the rest of the block again,
 * so the scanner takes exactly the frames it found).  Not an allocation
 * site for `inject`: compaction takes what is free.
 * Returns an order-0 folio with one reference, or NULL if @pfn is not free.
 * Context: any; does not yield.
 */
struct folio *isolate_free_frame(unsigned long pfn)
{
	struct pglist_data *pgdat = pfn_pgdat(pfn);
	unsigned long head;
	unsigned int order;
	struct folio *f;

	if (!pgdat)
		return NULL;
	vm_host_lock(VM_ZONE_LOCK);
	if (!find_buddy_block(pgdat, pfn, &head, &order)) {
		vm_host_unlock(VM_ZONE_LOCK);
		return NULL;
	}
	f = pfn_folio(head);
	list_del(&f->lru);
	INIT_LIST_HEAD(&f->lru);
	pgdat->free_area[order].nr_free--;
	folio_clear_buddy(f);
	/* expand around @pfn: the halves that do not hold it go back */
	while (order) {
		unsigned long half;

		order--;
		half = (pfn & (1UL << order)) ? head : head + (1UL << order);
		set_buddy_order(pfn_folio(half), order);
		list_add(&pfn_folio(half)->lru, &pgdat->free_area[order].free_list);
		pgdat->free_area[order].nr_free++;
		if (pfn & (1UL << order))
			head += 1UL << order;
	}
	VM_BUG_ON(head != pfn);
	pgdat->nr_free_pages--;
	account_alloc(0);
	f = pfn_folio(pfn);
	prep_new_folio(f, 0, 0, pgdat->node_id);
	vm_host_unlock(VM_ZONE_LOCK);
	return f;
}

struct folio *vma_alloc_folio(unsigned int gfp, unsigned int order, struct vm_area_struct *vma,
			      unsigned long addr)
{
	(void)vma;
	(void)addr;
	return folio_alloc(gfp, order, -1);
}

/* free_pages_prepare + free_one_page: the folio must be unused. */
static void free_folio(struct folio *f)
{
	unsigned long pfn = folio_pfn(f);
	unsigned int order = folio_order(f);
	struct pglist_data *pgdat = pfn_pgdat(pfn);

	VM_BUG_ON_FOLIO(!pgdat || folio_test_reserved(f), f);
	VM_BUG_ON_FOLIO(folio_mapped(f), f);
	VM_BUG_ON_FOLIO(folio_test_locked(f), f);
	VM_BUG_ON_FOLIO(folio_test_lru(f), f);
	VM_BUG_ON_FOLIO(folio_test_swapcache(f), f);
	VM_BUG_ON_FOLIO(folio_mapping(f) != NULL, f);
	vm_host_lock(VM_ZONE_LOCK);	/* compaction's scanners read the flags under it */
	f->mapping = NULL;
	f->flags &= (FOLIO_FIELD_MASK << FOLIO_NODE_SHIFT);
	for (unsigned long i = 1; i < (1UL << order); i++)
		(f + i)->flags &= (FOLIO_FIELD_MASK << FOLIO_NODE_SHIFT);
	machine->frames_in_use -= 1UL << order;
	machine->live[VM_ALLOC_PAGE] -= 1L << order;
	pgdat->nr_free_pages += 1UL << order;
	free_one_page(pgdat, pfn, order);
	vm_host_unlock(VM_ZONE_LOCK);
}

/* __folio_put: the last reference is gone. */
static void folio_free_last_ref(struct folio *f)
{
	if (folio_test_lru(f))
		lruvec_del_folio_locked(f);
	free_folio(f);
}

/**
 * folio_put_refs - drop @refs references; free the folio on the last one.
 * Context: any; may take the lru_lock.
 */
void folio_put_refs(struct folio *folio, int refs)
{
	VM_BUG_ON_FOLIO(is_zero_folio(folio), folio);
	VM_BUG_ON_FOLIO(folio_ref_count(folio) < refs, folio);
	/* atomic_sub_return: fully ordered, so the last put sees every access before the others' */
	atomic_point("folio_put");
	if (vm_atomic_fetch_sub(&folio->_refcount, refs, __ATOMIC_ACQ_REL) == refs)
		folio_free_last_ref(folio);
}

void folio_put(struct folio *folio)
{
	folio_put_refs(folio, 1);
}
