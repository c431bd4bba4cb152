/*
 * mm/validate.c - the invariant checker (validate_mm, validate_anon_vma,
 * validate_folio_rmap, validate_pagecache; the numbers are those of
 * mm/mm_types.h)
 *
 * One pass collects every pte (present or migration) of every mm and every
 * page-cache slot of every file, sorts them by pfn, and judges each folio
 * against everything that refers to it:
 *   rmap-miss         I1: a walk of the folio's anon_vma or i_mmap finds
 *                     the VMA at the address the pte sits (the shared zero
 *                     page and VM_STACK_INCOMPLETE_SETUP VMAs are exempt);
 *   mapcount          I4: _mapcount + 1 == present ptes;
 *   refcount          I5: _refcount == ptes + page cache + isolation, and
 *                     no allocated frame is held by nothing;
 *   truncated-mapped  I10: no pte maps a folio that left the page cache, or
 *                     any page at or past EOF of its VMA's file;
 *   stale-migration-entry  I11: every migration entry's folio is under
 *                     migration (PG_migrating: locked by the migration
 *                     that installed the entry); checked before anything
 *                     else about the folio, which may be free by now;
 *   bug               I2, I3, I6-I9 and tree structure: model inconsistency.
 * The checker reads without locks: it runs between steps, when no thread
 * is running a model function (other threads may be stopped inside one:
 * see vm_check_step() for what is skipped then).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "mm/internal.h"

enum ref_kind { REF_PRESENT, REF_MIGRATION, REF_CACHE };

struct ref {
	unsigned long pfn;
	enum ref_kind kind;
	struct mm_struct *mm;
	struct vm_area_struct *vma;	/* NULL: the mm's VMAs are being changed */
	unsigned long addr;
};

/* What this pass may rely on (see vm_check_step()). */
static struct {
	bool quiescent;
	bool ptl_held;			/* some thread holds a page-table lock */
} mode = { .quiescent = true };

static bool write_locked(const struct ex_lock *l)
{
	return l->owner != NULL;
}

struct refs {
	struct ref *v;
	size_t nr, cap;
};

static void refs_add(struct refs *r, struct ref ref)
{
	if (r->nr == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->nr++] = ref;
}

static int ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;

	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->mm != y->mm)
		return x->mm->mm_id < y->mm->mm_id ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* ------------------------------------------------------------------ */
/* collecting ptes */

struct pte_walk {
	struct refs *refs;
	struct vm_area_struct *vma;	/* cursor: the VMA at or after the last pte */
	long rss[NR_MM_COUNTERS];
	bool bad;			/* already reported a pte outside any VMA */
	bool stale;			/* a stale migration entry: rss is unknowable */
};

static void collect_pte(struct mm_struct *mm, unsigned long addr, pte_t *ptep, void *arg)
{
	struct pte_walk *w = arg;
	pte_t pte = ptep_get(ptep);
	struct ref ref = { .mm = mm, .addr = addr };

	if (!mode.quiescent && write_locked(&mm->mmap_lock)) {
		/* its VMAs may be half changed: count the pte, judge it later */
		ref.vma = NULL;
		if (pte_present(pte) && !pte_special(pte)) {
			ref.kind = REF_PRESENT;
			ref.pfn = pte_pfn(pte);
		} else if (!pte_present(pte) && softleaf_is_migration(softleaf_from_pte(pte))) {
			ref.kind = REF_MIGRATION;
			ref.pfn = softleaf_to_pfn(softleaf_from_pte(pte));
		} else {
			return;
		}
		if (pfn_valid(ref.pfn))
			refs_add(w->refs, ref);
		return;
	}
	while (w->vma && w->vma->vm_end <= addr)
		w->vma = w->vma->vm_next;
	if (!w->vma || w->vma->vm_start > addr) {
		for (int i = 0; i < mm->nr_detached; i++)
			if (mm->detached[i] && mm->detached[i]->vm_start <= addr &&
			    addr < mm->detached[i]->vm_end) {
				ref.vma = mm->detached[i];
				goto found;
			}
		if (!w->bad)
			ex_report(EX_BUG, dump_mm(mm), "I9: mm#%lu has a pte at %#lx outside any VMA",
				  mm->mm_id, addr);
		w->bad = true;
		return;
	}
	ref.vma = w->vma;
found:
	if (pte_present(pte)) {
		if (pte_special(pte))
			return;		/* the zero page: no counts, exempt */
		ref.kind = REF_PRESENT;
		ref.pfn = pte_pfn(pte);
	} else {
		softleaf_t entry = softleaf_from_pte(pte);

		if (!softleaf_is_migration(entry)) {
			ex_report(EX_BUG, dump_mm(mm), "mm#%lu: swap entry at %#lx but swap is not modelled",
				  mm->mm_id, addr);
			return;
		}
		ref.kind = REF_MIGRATION;
		ref.pfn = softleaf_to_pfn(entry);
	}
	if (!pfn_valid(ref.pfn)) {
		ex_report(EX_BUG, dump_mm(mm), "mm#%lu: pte at %#lx maps pfn %#lx beyond memory",
			  mm->mm_id, addr, ref.pfn);
		return;
	}
	/*
	 * A migration entry counts in rss (kernel-reference §11.4: fork
	 * counts it, zap uncounts it) - unless it is stale: its folio may be
	 * gone and with it the counter it was counted in; I11 reports it.
	 */
	if (ref.kind == REF_PRESENT || folio_test_migrating(pfn_folio(ref.pfn)))
		w->rss[mm_counter(pfn_folio(ref.pfn))]++;
	else
		w->stale = true;
	refs_add(w->refs, ref);
}

/* I8, I9 and the VMAs' own links, for one mm. */
static void validate_mm(struct mm_struct *mm, struct refs *refs)
{
	struct pte_walk w = { .refs = refs, .vma = mm->mmap };
	static const char *const counter_names[NR_MM_COUNTERS] = { "file", "anon", "swap", "shmem" };
	char *why;

	if (!mode.quiescent && write_locked(&mm->mmap_lock)) {
		walk_all_ptes(mm, collect_pte, &w);
		return;
	}
	if (!vma_tree_validate(mm, &why)) {
		ex_report(EX_BUG, dump_mm(mm), "I8: mm#%lu VMA tree: %s", mm->mm_id, why);
		free(why);
	}
	for (struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next) {
		struct anon_vma_chain *avc;
		bool own = false;

		list_for_each_entry(avc, &vma->anon_vma_chain, same_vma) {
			if (avc->vma != vma || avc->anon_vma->root != vma->anon_vma->root)
				ex_report(EX_BUG, dump_vma(vma), "I2: vma#%lu has an AVC of another VMA or hierarchy",
					  vma->vm_seq);
			own |= avc->anon_vma == vma->anon_vma;
		}
		if (vma->anon_vma && !own)
			ex_report(EX_BUG, dump_vma(vma), "vma#%lu is not linked into its own anon_vma",
				  vma->vm_seq);
		if (vma->vm_file && RB_EMPTY_NODE(&vma->shared.rb))
			ex_report(EX_BUG, dump_vma(vma), "vma#%lu is not in its file's i_mmap", vma->vm_seq);
	}
	walk_all_ptes(mm, collect_pte, &w);
	for (int i = 0; i < NR_MM_COUNTERS && mode.quiescent && !w.stale; i++)
		if (w.rss[i] != mm->rss_stat[i])
			ex_report(EX_BUG, dump_mm(mm), "I9: mm#%lu rss %s is %ld, the ptes count %ld",
				  mm->mm_id, counter_names[i], mm->rss_stat[i], w.rss[i]);
}

/* ------------------------------------------------------------------ */
/* interval trees */

typedef unsigned long (*key_fn)(const struct rb_node *node);

/* In order: starts never decrease; each node's subtree_last is the max last below. */
static unsigned long check_itree(const struct rb_node *node, key_fn start, key_fn last,
				 key_fn subtree, unsigned long *prev_start, const char **why)
{
	unsigned long max, right;

	if (!node)
		return 0;
	max = check_itree(node->rb_left, start, last, subtree, prev_start, why);
	if (start(node) < *prev_start)
		*why = "in-order starts decrease";
	*prev_start = start(node);
	max = MAX(max, last(node));
	right = check_itree(node->rb_right, start, last, subtree, prev_start, why);
	max = MAX(max, right);
	if (max != subtree(node))
		*why = "a subtree_last is wrong";
	return max;
}

static unsigned long vma_node_start(const struct rb_node *n)
{
	return vma_start_pgoff(rb_entry(n, struct vm_area_struct, shared.rb));
}
static unsigned long vma_node_last(const struct rb_node *n)
{
	return vma_last_pgoff(rb_entry(n, struct vm_area_struct, shared.rb));
}
static unsigned long vma_node_subtree(const struct rb_node *n)
{
	return rb_entry(n, struct vm_area_struct, shared.rb)->shared.rb_subtree_last;
}
static unsigned long avc_node_start(const struct rb_node *n)
{
	return vma_start_pgoff(rb_entry(n, struct anon_vma_chain, rb)->vma);
}
static unsigned long avc_node_last(const struct rb_node *n)
{
	return vma_last_pgoff(rb_entry(n, struct anon_vma_chain, rb)->vma);
}
static unsigned long avc_node_subtree(const struct rb_node *n)
{
	return rb_entry(n, struct anon_vma_chain, rb)->rb_subtree_last;
}

/* ------------------------------------------------------------------ */
/* anon_vmas (I2, I3, I7) */

struct av_set {
	struct anon_vma **v;
	size_t nr, cap;
};

static void av_add(struct av_set *s, struct anon_vma *av)
{
	for (size_t i = 0; i < s->nr; i++)
		if (s->v[i] == av)
			return;
	if (s->nr == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->nr++] = av;
}

static void validate_anon_vmas(void)
{
	struct av_set set = { 0 };
	struct mm_struct *mm;

	list_for_each_entry(mm, &machine->mm_list, mm_list)
		for (struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next) {
			struct anon_vma_chain *avc;

			list_for_each_entry(avc, &vma->anon_vma_chain, same_vma) {
				av_add(&set, avc->anon_vma);
				av_add(&set, avc->anon_vma->root);
			}
		}
	if ((long)set.nr != machine->live[VM_ALLOC_ANON_VMA])
		ex_report(EX_BUG, NULL, "I3: %ld anon_vmas are allocated, %zu are in use",
			  machine->live[VM_ALLOC_ANON_VMA], set.nr);
	for (size_t i = 0; i < set.nr; i++) {
		struct anon_vma *av = set.v[i];
		unsigned long active = 0, children = 0, prev_start = 0;
		int refs = RB_EMPTY_ROOT(&av->rb_root.rb_root) ? 0 : 1;
		const char *why = NULL;

		list_for_each_entry(mm, &machine->mm_list, mm_list)
			for (struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next)
				active += vma->anon_vma == av;
		for (size_t j = 0; j < set.nr; j++) {
			children += set.v[j]->parent == av;
			refs += set.v[j]->root == av && set.v[j] != av;
		}
		if (av->root->root != av->root)
			ex_report(EX_BUG, dump_anon_vma(av), "I2: anon_vma#%lu's root is not a root", av->id);
		if (active != av->num_active_vmas || children != av->num_children)
			ex_report(EX_BUG, dump_anon_vma(av),
				  "I7: anon_vma#%lu num_active_vmas %lu (VMAs: %lu), num_children %lu (children: %lu)",
				  av->id, av->num_active_vmas, active, av->num_children, children);
		if (refs != av->refcount)
			ex_report(EX_BUG, dump_anon_vma(av), "I3: anon_vma#%lu refcount %d, expected %d",
				  av->id, av->refcount, refs);
		check_itree(av->rb_root.rb_root.rb_node, avc_node_start, avc_node_last,
			    avc_node_subtree, &prev_start, &why);
		if (why)
			ex_report(EX_BUG, dump_anon_vma(av), "anon_vma#%lu interval tree: %s", av->id, why);
	}
	free(set.v);
}

/* ------------------------------------------------------------------ */
/* the page cache (I10) */

static void validate_pagecache(struct inode *inode, struct refs *refs)
{
	struct address_space *mapping = &inode->i_data;
	unsigned long count = 0, prev_start = 0;
	const char *why = NULL;
	struct folio *folio;
	uint64_t index = 0;

	while ((folio = xa_find(&mapping->i_pages, &index, UINT64_MAX))) {
		if (folio->mapping != mapping || folio->index != index)
			ex_report(EX_BUG, dump_folio(folio), "I10: '%s' slot %#lx holds a folio of another place",
				  inode->name, (unsigned long)index);
		refs_add(refs, (struct ref){ .pfn = folio_pfn(folio), .kind = REF_CACHE });
		count++;
		if (++index == 0)
			break;
	}
	if (!mode.quiescent)
		return;		/* nrpages and i_mmap change under locks held across steps */
	if (count != mapping->nrpages)
		ex_report(EX_BUG, NULL, "I10: '%s' nrpages %lu, the cache holds %lu", inode->name,
			  mapping->nrpages, count);
	check_itree(mapping->i_mmap.rb_root.rb_node, vma_node_start, vma_node_last, vma_node_subtree,
		    &prev_start, &why);
	if (why)
		ex_report(EX_BUG, NULL, "'%s' i_mmap interval tree: %s", inode->name, why);
}

/* ------------------------------------------------------------------ */
/* folios */

/* I1: does a walk of @folio's rmap find @vma at @addr? */
static bool rmap_finds(struct folio *folio, struct vm_area_struct *vma, unsigned long addr)
{
	pgoff_t index = folio->index;

	if (folio_test_anon(folio)) {
		struct anon_vma_chain *avc;

		anon_vma_interval_tree_foreach(avc, &folio_anon_vma(folio)->rb_root, index, index)
			if (avc->vma == vma && vma_address(vma, index, 1) == addr)
				return true;
	} else if (folio->mapping) {
		struct vm_area_struct *v;

		vma_interval_tree_foreach(v, &folio->mapping->i_mmap, index, index)
			if (v == vma && vma_address(vma, index, 1) == addr)
				return true;
	}
	return false;
}

/* Is @folio's rmap tree being changed by a thread stopped in the middle? */
static bool rmap_write_locked(struct folio *folio)
{
	if (mode.quiescent)
		return false;
	if (folio_test_anon(folio))
		return folio_anon_vma(folio) && write_locked(&folio_anon_vma(folio)->root->rwsem);
	return folio->mapping && write_locked(&folio->mapping->i_mmap_rwsem);
}

static void check_one_ref(struct folio *folio, const struct ref *r)
{
	struct vm_area_struct *vma = r->vma;

	if (!vma)
		return;		/* its mm's VMAs are being changed */
	if (vma->vm_file && __atomic_load_n(&vma->vm_file->f_inode->truncating, __ATOMIC_RELAXED) &&
	    !mode.quiescent)
		goto rmap;	/* truncated-mapped counts from the truncate's return */
	if (r->kind == REF_PRESENT && vma->vm_file &&
	    linear_page_index(vma, r->addr) >= DIV_ROUND_UP_PAGES(i_size_read(vma->vm_file->f_inode)))
		ex_report(EX_TRUNCATED_MAPPED, dump_folio(folio),
			  "mm#%lu maps %#lx, page %#lx of '%s', past its EOF (size %lld)", r->mm->mm_id,
			  r->addr, linear_page_index(vma, r->addr), vma->vm_file->f_inode->name,
			  (long long)i_size_read(vma->vm_file->f_inode));
	if (r->kind == REF_PRESENT && !folio_test_anon(folio) && !folio->mapping)
		ex_report(EX_TRUNCATED_MAPPED, dump_folio(folio),
			  "mm#%lu maps %#lx to a file page no longer in the page cache", r->mm->mm_id,
			  r->addr);
rmap:
	if (!vma_is_temporary_stack(vma) && !rmap_write_locked(folio) &&
	    !rmap_finds(folio, vma, r->addr))
		ex_report(EX_RMAP_MISS, dump_folio(folio),
			  "mm#%lu has a %s for pfn %#lx at %#lx (vma#%lu) that a walk of its %s cannot find",
			  r->mm->mm_id, r->kind == REF_PRESENT ? "pte" : "migration entry", r->pfn,
			  r->addr, vma->vm_seq, folio_test_anon(folio) ? "anon_vma" : "i_mmap");
}

/*
 * I11: a migration entry stands for "this folio is locked and moving"; one
 * whose folio no migration holds survived its migration (the second rmap
 * walk missed it), or was made after it.  Nothing will ever remove it.
 * Legitimate entries exist only between try_to_migrate and the end of
 * remove_migration_ptes, all that time under PG_migrating, so no
 * intermediate state of a migration, nor of a fork or zap that copies or
 * clears entries under the PTL, is reported.
 */
static void check_migration_entries(struct folio *folio, const struct ref *refs, size_t n)
{
	if (folio_test_migrating(folio))
		return;
	for (size_t i = 0; i < n; i++) {
		if (refs[i].kind != REF_MIGRATION)
			continue;
		ex_report(EX_STALE_MIGRATION, dump_folio(folio),
			  "mm#%lu has a migration entry for pfn %#lx at %#lx, but no migration holds the folio (%s)",
			  refs[i].mm->mm_id, refs[i].pfn, refs[i].addr,
			  folio_test_buddy(folio) || folio->_refcount <= 0 ? "it is free" :
			  folio_test_locked(folio) ? "locked by someone else" : "unlocked");
		return;
	}
}

/* Judge one folio against the references to it, refs[0..n). Returns its pages. */
static long validate_folio(const struct ref *refs, size_t n)
{
	struct folio *folio = pfn_folio(refs[0].pfn);
	int present = 0, cache = 0, expected;

	check_migration_entries(folio, refs, n);
	if (folio_test_buddy(folio) || folio_test_reserved(folio) || folio->_refcount <= 0) {
		ex_report(EX_REFCOUNT, dump_folio(folio), "pfn %#lx is free but still referenced",
			  refs[0].pfn);
		return 0;
	}
	if (!mode.quiescent && folio_test_locked(folio))
		return folio_nr_pages(folio);	/* its owner is changing it */
	for (size_t i = 0; i < n; i++) {
		present += refs[i].kind == REF_PRESENT;
		cache += refs[i].kind == REF_CACHE;
		if (refs[i].kind != REF_CACHE)
			check_one_ref(folio, &refs[i]);
	}
	if (mode.ptl_held)
		return folio_nr_pages(folio);	/* counts and ptes change together under it */
	if (folio_mapcount(folio) != present)
		ex_report(EX_MAPCOUNT, dump_folio(folio), "pfn %#lx: mapcount %d, but %d ptes map it",
			  refs[0].pfn, folio_mapcount(folio), present);
	expected = present + cache + (folio_test_isolated(folio) ? 1 : 0);
	if (mode.quiescent ? folio->_refcount != expected : folio->_refcount < expected)
		ex_report(EX_REFCOUNT, dump_folio(folio),
			  "pfn %#lx: refcount %d, expected %d (%d ptes, %d page cache%s)", refs[0].pfn,
			  folio->_refcount, expected, present, cache,
			  folio_test_isolated(folio) ? ", isolated" : "");
	if (folio_test_locked(folio))
		ex_report(EX_BUG, dump_folio(folio), "pfn %#lx is locked between statements", refs[0].pfn);
	if (folio_test_anon(folio) && PageAnonExclusive(folio) && present > 1)
		ex_report(EX_BUG, dump_folio(folio), "I6: pfn %#lx is anon-exclusive but %d ptes map it",
			  refs[0].pfn, present);
	for (size_t i = 0; i < n; i++) {
		if (refs[i].kind != REF_PRESENT || !refs[i].vma)
			continue;
		pte_t *ptep = pte_offset_map(refs[i].mm, refs[i].addr);

		if (folio_test_anon(folio) && pte_write(*ptep) && !PageAnonExclusive(folio))
			ex_report(EX_BUG, dump_folio(folio),
				  "I6: mm#%lu maps anon pfn %#lx writable at %#lx, not anon-exclusive",
				  refs[i].mm->mm_id, refs[i].pfn, refs[i].addr);
	}
	return folio_nr_pages(folio);
}

static void check_pass(void)
{
	struct refs refs = { 0 };
	struct mm_struct *mm;
	struct inode *inode;
	long reached = 0;

	list_for_each_entry(mm, &machine->mm_list, mm_list)
		validate_mm(mm, &refs);
	list_for_each_entry(inode, &machine->inode_list, i_list)
		validate_pagecache(inode, &refs);
	if (mode.quiescent)
		validate_anon_vmas();

	if (refs.nr)
		qsort(refs.v, refs.nr, sizeof(*refs.v), ref_cmp);
	for (size_t i = 0, j; i < refs.nr; i = j) {
		for (j = i + 1; j < refs.nr && refs.v[j].pfn == refs.v[i].pfn; j++)
			;
		reached += validate_folio(&refs.v[i], j - i);
	}
	if (mode.quiescent && reached < (long)machine->frames_in_use)
		ex_report(EX_REFCOUNT, NULL,
			  "%lu frames are allocated, but ptes and page caches hold only %ld",
			  machine->frames_in_use, reached);
	else if (mode.quiescent && reached > (long)machine->frames_in_use)
		ex_report(EX_REFCOUNT, NULL,
			  "ptes and page caches hold %ld frames, but only %lu are allocated: "
			  "a freed frame is still in use", reached, machine->frames_in_use);
	free(refs.v);
}

/**
 * vm_check_all - run every invariant check now; findings go to the sink.
 * Context: no thread inside a statement.
 */
void vm_check_all(void)
{
	vm_check_step(true);
}

void vm_check_step(bool quiescent)
{
	mode.quiescent = quiescent;
	mode.ptl_held = !quiescent && ex_class_held_count(&ex_class_ptl) > 0;
	check_pass();
	mode.quiescent = true;
	mode.ptl_held = false;
}

/**
 * vm_check_leaks - after every process exited and clean caches were
 * dropped: only page-cache pages of files that still exist may remain.
 */
void vm_check_leaks(void)
{
	static const enum vm_alloc_site gone[] = {
		VM_ALLOC_PGTABLE, VM_ALLOC_VMA, VM_ALLOC_ANON_VMA, VM_ALLOC_AVC, VM_ALLOC_SWAP_SLOT,
		VM_ALLOC_MM, VM_ALLOC_TASK, VM_ALLOC_TEMP,
	};
	unsigned long cached = 0;
	struct inode *inode;
	struct sbuf sb;

	sbuf_init(&sb);
	list_for_each_entry(inode, &machine->inode_list, i_list) {
		if (inode->i_private)
			sbuf_printf(&sb, " a shared anonymous mapping's shmem file;");
		cached += inode->i_data.nrpages;
	}
	for (size_t i = 0; i < ARRAY_SIZE(gone); i++)
		if (machine->live[gone[i]])
			sbuf_printf(&sb, " %ld %s;", machine->live[gone[i]], vm_alloc_site_name(gone[i]));
	if (machine->frames_in_use != cached)
		sbuf_printf(&sb, " %lu frames, of which %lu are page cache;", machine->frames_in_use,
			    cached);
	if (sb.len)
		ex_report(EX_LEAK, NULL, "after every process exited, still allocated:%s", sb.buf);
	sbuf_free(&sb);
}
