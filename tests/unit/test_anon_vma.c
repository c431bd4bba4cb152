/*
 * tests/unit/test_anon_vma.c - the anon_vma hierarchy (mm/rmap.c)
 *
 * fork links the child's VMA into every anon_vma of the parent's chain
 * and gives it one of its own; exit takes it out again and frees the
 * anon_vmas left empty.  Two things must hold over long runs: a process
 * that forks and reaps children forever keeps a fixed number of
 * anon_vmas, and a forking server whose every generation outlives its
 * parent does not grow an ever longer chain (anon_vma reuse,
 * kernel-reference §3.4; before 2022 a mix-up of the two counts behind
 * reuse allowed a double reuse, CVE-2022-42703).  And an rmap walker must
 * meet the parent's VMA before the child's (§8.5): that order is what
 * makes fork safe against a concurrent migration.
 */
#include <string.h>

#include "tests/unit/mmtest.h"

#define X 0x40000000UL

static long live_anon_vmas(void)
{
	return machine->live[VM_ALLOC_ANON_VMA];
}

static int tree_size(struct anon_vma *av)
{
	struct anon_vma_chain *avc;
	int n = 0;

	anon_vma_interval_tree_foreach(avc, &av->rb_root, 0, ~0UL)
		n++;
	return n;
}

static bool tree_has(struct anon_vma *av, struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;

	anon_vma_interval_tree_foreach(avc, &av->rb_root, 0, ~0UL)
		if (avc->vma == vma)
			return true;
	return false;
}

static int chain_len(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;
	int n = 0;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		n++;
	return n;
}

/* mmtest_end_clean, and no mm is left either. */
static void end_clean(struct mmtest *t)
{
	T_EQ(machine->live[VM_ALLOC_MM], 0);
	mmtest_end_clean(t);
}

/*
 * (a) A process with a faulted page forks a child that writes the page
 * (a COW into the child's own anon_vma) and exits, 10,000 times.  The
 * parent's root anon_vma A is there throughout; each child's anon_vma
 * comes and goes with it: 2 while the child lives, 1 after.
 */
TEST(anon_vma_fork_exit_cycles_bounded)
{
	long cycles = t_param("cycles", 10000), max_live = 0;
	struct task_struct *p;
	struct anon_vma *root;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc_with_page(&t, X, "parent");
	root = p->mm->mmap->anon_vma;
	T_EQ(live_anon_vmas(), 1);
	for (long i = 0; i < cycles; i++) {
		struct task_struct *c = mmtest_fork(&t, p);

		T_EQ(live_anon_vmas(), 2);
		T_EQ(mmtest_write(&t, c->mm, X, "child"), UA_OK);
		T_EQ(machine->frames_in_use, 2);
		if (live_anon_vmas() > max_live)
			max_live = live_anon_vmas();
		T_LT(live_anon_vmas(), 8);
		mmtest_exit(&t, c);
		T_EQ(live_anon_vmas(), 1);
		T_EQ(machine->live[VM_ALLOC_AVC], 1);
		T_EQ(machine->frames_in_use, 1);
		if (i == 0 || (i + 1) % 2500 == 0)
			t_log("cycle %ld: %ld anon_vmas live (at most %ld)", i + 1, live_anon_vmas(),
			      max_live);
	}
	T_ASSERT(p->mm->mmap->anon_vma == root);
	T_EQ(root->num_children, 1);
	T_EQ(root->num_active_vmas, 1);
	T_EQ(root->refcount, 1);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	end_clean(&t);
}

/*
 * (b) The forking server: P forks C, P exits, C forks D, C exits, ...
 * each new generation writing the page.  Without reuse, every generation
 * would add an anon_vma to the chain; with it, an anon_vma whose own VMA
 * is gone (num_active_vmas == 0) and that has at most one child is
 * adopted by the next fork, and the count stays at three:
 *
 *   root A (never reused: self + child = 2 children), and two that the
 *   generations take turns adopting.
 */
TEST(anon_vma_forking_server_chain_bounded)
{
	long gens = t_param("generations", 1000);
	struct task_struct *cur;
	struct mmtest t;

	mmtest_begin(&t, 64);
	cur = mmtest_proc_with_page(&t, X, "gen 0");
	for (long g = 1; g <= gens; g++) {
		struct task_struct *next = mmtest_fork(&t, cur);
		char buf[32];

		snprintf(buf, sizeof(buf), "gen %ld", g);
		T_EQ(mmtest_write(&t, next->mm, X, buf), UA_OK);
		mmtest_exit(&t, cur);
		cur = next;
		T_EQ(machine->frames_in_use, 1);
		T_EQ(chain_len(cur->mm->mmap), g == 1 ? 2 : 3);
		T_EQ(live_anon_vmas(), g == 1 ? 2 : 3);
		T_LT(live_anon_vmas(), 8);
		if (g <= 4 || g % 250 == 0)
			t_log("generation %ld: %ld anon_vmas live, chain of %d", g, live_anon_vmas(),
			      chain_len(cur->mm->mmap));
		if (g % 100 == 0)
			MMTEST_CHECK(&t);
	}
	MMTEST_CHECK(&t);
	mmtest_exit(&t, cur);
	end_clean(&t);
}

/*
 * (c) The hierarchy after a three-generation fork chain, every process
 * alive and each having written its page (kernel-reference §3.1, §3.4):
 *
 *   P --fork--> C --fork--> G
 *
 *   anon_vma  root  parent  num_children   num_active_vmas  refcount        tree (AVCs of)
 *   A         A     A       2 (self, B)    1 (P's VMA)      3 (tree, B, Z)  P, C, G
 *   B         A     A       1 (Z)          1 (C's VMA)      1 (tree)        C, G
 *   Z         A     B       0              1 (G's VMA)      1 (tree)        G
 *
 *   chains: P {A}, C {B, A}, G {Z, B, A}
 *
 * Then P exits (A keeps C's and G's AVCs, has no VMA of its own), C
 * exits (B keeps G's), G exits (everything is freed).
 */
TEST(anon_vma_three_generation_counts)
{
	struct task_struct *p, *c, *g;
	struct vm_area_struct *vp, *vc, *vg;
	struct anon_vma *a, *b, *z;
	struct mmtest t;

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	T_EQ(mmtest_mmap(&t, p->mm, X, 4 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)X);
	T_EQ(mmtest_write(&t, p->mm, X, "P"), UA_OK);
	c = mmtest_fork(&t, p);
	T_EQ(mmtest_write(&t, c->mm, X + PAGE_SIZE, "C"), UA_OK);
	g = mmtest_fork(&t, c);
	T_EQ(mmtest_write(&t, g->mm, X + 2 * PAGE_SIZE, "G"), UA_OK);
	vp = p->mm->mmap;
	vc = c->mm->mmap;
	vg = g->mm->mmap;
	a = vp->anon_vma;
	b = vc->anon_vma;
	z = vg->anon_vma;
	T_ASSERT(a && b && z && a != b && b != z && a != z);
	T_EQ(live_anon_vmas(), 3);
	T_EQ(machine->live[VM_ALLOC_AVC], 6);

	T_ASSERT(a->root == a && a->parent == a);
	T_EQ(a->num_children, 2);
	T_EQ(a->num_active_vmas, 1);
	T_EQ(a->refcount, 3);
	T_EQ(tree_size(a), 3);
	T_ASSERT(tree_has(a, vp) && tree_has(a, vc) && tree_has(a, vg));

	T_ASSERT(b->root == a && b->parent == a);
	T_EQ(b->num_children, 1);
	T_EQ(b->num_active_vmas, 1);
	T_EQ(b->refcount, 1);
	T_EQ(tree_size(b), 2);
	T_ASSERT(tree_has(b, vc) && tree_has(b, vg));

	T_ASSERT(z->root == a && z->parent == b);
	T_EQ(z->num_children, 0);
	T_EQ(z->num_active_vmas, 1);
	T_EQ(z->refcount, 1);
	T_EQ(tree_size(z), 1);
	T_ASSERT(tree_has(z, vg));

	T_EQ(chain_len(vp), 1);
	T_EQ(chain_len(vc), 2);
	T_EQ(chain_len(vg), 3);
	/* Pages written before a fork are filed where they were first faulted. */
	T_ASSERT(folio_anon_vma(mmtest_folio_at(g->mm, X)) == a);
	T_ASSERT(folio_anon_vma(mmtest_folio_at(g->mm, X + PAGE_SIZE)) == b);
	T_ASSERT(folio_anon_vma(mmtest_folio_at(g->mm, X + 2 * PAGE_SIZE)) == z);
	MMTEST_CHECK(&t);

	mmtest_exit(&t, p);
	T_EQ(live_anon_vmas(), 3);
	T_EQ(a->num_children, 2);
	T_EQ(a->num_active_vmas, 0);
	T_EQ(a->refcount, 3);
	T_EQ(tree_size(a), 2);
	MMTEST_CHECK(&t);

	mmtest_exit(&t, c);
	T_EQ(live_anon_vmas(), 3);
	T_EQ(a->num_children, 2);
	T_EQ(a->refcount, 3);
	T_EQ(tree_size(a), 1);
	T_EQ(b->num_children, 1);
	T_EQ(b->num_active_vmas, 0);
	T_EQ(b->refcount, 1);
	T_EQ(tree_size(b), 1);
	MMTEST_CHECK(&t);

	mmtest_exit(&t, g);
	end_clean(&t);
}

/* (d) rmap walks: record the VMAs visited, in order. */
struct visits {
	struct vm_area_struct *vma[8];
	unsigned long addr[8];
	int n;
};

static bool record_one(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
		       void *arg)
{
	struct visits *v = arg;

	(void)folio;
	if (v->n < 8) {
		v->vma[v->n] = vma;
		v->addr[v->n] = addr;
	}
	v->n++;
	return true;
}

static void walk(struct mmtest *t, struct folio *folio, struct visits *v)
{
	struct rmap_walk_control rwc = { .arg = v, .rmap_one = record_one };

	memset(v, 0, sizeof(*v));
	MM_CALL(t, (folio_lock(folio), rmap_walk(folio, &rwc), folio_unlock(folio)));
}

/*
 * P writes a page, then forks C1 and C2.  The page's anon_vma (A) holds
 * the AVCs of P, C1, C2, all with the same start pgoff, in insertion
 * order: a walk visits P first.  With anon_walk=newest_first the equal
 * starts come in reverse.
 *
 * A file page: P maps the file, then an unrelated Q maps it at the same
 * offset, then P forks C.  dup_mmap puts C right after P in i_mmap
 * (vma_interval_tree_insert_after), before Q: the walk is P, C, Q; with
 * file_walk=newest_first it is Q, C, P.
 */
static void walk_order_run(bool newest_first)
{
	struct vm_variants var = { 0 };
	struct task_struct *p, *c1, *c2, *q, *c;
	struct folio *anon, *page;
	struct file *f;
	struct visits v;
	struct mmtest t;
	unsigned long fa = X + 0x100000, qa = X + 0x300000;

	if (newest_first) {
		var.value[VAR_ANON_WALK] = WALK_NEWEST_FIRST;
		var.value[VAR_FILE_WALK] = WALK_NEWEST_FIRST;
	}
	mmtest_begin_variants(&t, 64, &var);
	p = mmtest_proc_with_page(&t, X, "shared at fork");
	anon = mmtest_folio_at(p->mm, X);
	c1 = mmtest_fork(&t, p);
	c2 = mmtest_fork(&t, p);
	T_EQ(folio_mapcount(anon), 3);
	walk(&t, anon, &v);
	T_EQ(v.n, 3);
	for (int i = 0; i < 3; i++)
		T_EQ(v.addr[i], X);
	if (!newest_first) {
		T_ASSERT(v.vma[0] == p->mm->mmap);
		T_ASSERT(v.vma[1] == c1->mm->mmap);
		T_ASSERT(v.vma[2] == c2->mm->mmap);
	} else {
		T_ASSERT(v.vma[0] == c2->mm->mmap);
		T_ASSERT(v.vma[1] == c1->mm->mmap);
		T_ASSERT(v.vma[2] == p->mm->mmap);
	}

	f = mmtest_file(&t, "walked", PAGE_SIZE);
	q = mmtest_proc(&t);
	T_EQ(mmtest_mmap(&t, p->mm, fa, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f, 0), (long)fa);
	T_EQ(mmtest_mmap(&t, q->mm, qa, PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f, 0), (long)qa);
	T_EQ(mmtest_write(&t, p->mm, fa, "file page"), UA_OK);
	page = mmtest_folio_at(p->mm, fa);
	T_ASSERT(page && !folio_test_anon(page));
	c = mmtest_fork(&t, p);
	walk(&t, page, &v);
	T_EQ(v.n, 3);
	if (!newest_first) {
		T_ASSERT(v.vma[0] == find_vma(p->mm, fa));
		T_ASSERT(v.vma[1] == find_vma(c->mm, fa));
		T_ASSERT(v.vma[2] == find_vma(q->mm, qa));
		T_EQ(v.addr[2], qa);
	} else {
		T_ASSERT(v.vma[0] == find_vma(q->mm, qa));
		T_ASSERT(v.vma[1] == find_vma(c->mm, fa));
		T_ASSERT(v.vma[2] == find_vma(p->mm, fa));
		T_EQ(v.addr[0], qa);
	}
	T_EQ(v.addr[1], fa);
	MMTEST_CHECK(&t);

	mmtest_exit(&t, c);
	mmtest_exit(&t, q);
	mmtest_exit(&t, c2);
	mmtest_exit(&t, c1);
	mmtest_exit(&t, p);
	mmtest_fput(&t, f);
	end_clean(&t);
}

TEST(anon_vma_walk_order_parent_before_child)
{
	walk_order_run(false);
}

TEST(anon_vma_walk_order_newest_first_variant)
{
	walk_order_run(true);
}

/*
 * fork under memory pressure: make the n-th allocation of one site fail
 * (page tables, VMAs, anon_vmas, AVCs, frames), for n = 0, 1, 2, ... until
 * fork no longer reaches it.  A failed fork returns ENOMEM and leaves
 * nothing behind: every allocation count and the frames are what they
 * were before, the invariants hold, and the processes still read and
 * write their memory.  P (the one that forks) is itself a child of G, so
 * its anon VMA links two anon_vmas; it also has a COWed page of a private
 * file mapping, a shared file page and an untouched VMA.
 */
static int try_fork(struct mmtest *t, struct task_struct *parent, struct task_struct **childp)
{
	int r;

	*childp = NULL;
	MM_CALL(t, r = copy_process(parent, childp));
	if (r)
		*childp = NULL;
	return r;
}

/* One try: the n-th allocation at @site fails.  Returns whether fork reached it. */
static bool fork_enomem_once(enum vm_alloc_site site, unsigned long n)
{
	const unsigned long fa = X + 0x100000, sa = X + 0x200000, ua = X + 0x300000;
	long before[VM_NR_ALLOC_SITES];
	struct task_struct *g, *p, *c;
	unsigned long frames;
	struct mmtest t;
	struct file *f;
	bool reached;
	int r;

	mmtest_begin(&t, 64);
	f = mmtest_file(&t, "forked", 2 * PAGE_SIZE);
	g = mmtest_proc(&t);
	T_EQ(mmtest_mmap(&t, g->mm, X, 2 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0),
	     (long)X);
	T_EQ(mmtest_mmap(&t, g->mm, fa, 2 * PAGE_SIZE, MMTEST_RW, MAP_PRIVATE | MAP_FIXED, f, 0),
	     (long)fa);
	T_EQ(mmtest_mmap(&t, g->mm, sa, 2 * PAGE_SIZE, MMTEST_RW, MAP_SHARED | MAP_FIXED, f, 0), (long)sa);
	T_EQ(mmtest_mmap(&t, g->mm, ua, PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_FIXED, NULL, 0), (long)ua);
	T_EQ(mmtest_write(&t, g->mm, X, "anon"), UA_OK);
	p = mmtest_fork(&t, g);
	T_EQ(chain_len(p->mm->mmap), 2);
	T_EQ(mmtest_write(&t, p->mm, X + PAGE_SIZE, "anon2"), UA_OK);
	T_EQ(mmtest_write(&t, p->mm, fa, "cow"), UA_OK);
	T_EQ(mmtest_write(&t, p->mm, sa + PAGE_SIZE, "shared"), UA_OK);
	memcpy(before, machine->live, sizeof(before));
	frames = machine->frames_in_use;

	mmtest_inject(&t, site, n, 1);
	r = try_fork(&t, p, &c);
	reached = machine->inject[site].times == 0;
	mmtest_inject(&t, site, 0, 0);
	if (reached) {
		T_EQ(r, -ENOMEM);
		for (int s = 0; s < VM_NR_ALLOC_SITES; s++)
			if (machine->live[s] != before[s]) {
				t_log("fork failing at %s #%lu: %s %ld, was %ld", vm_alloc_site_name(site),
				      n, vm_alloc_site_name(s), machine->live[s], before[s]);
				T_EQ(machine->live[s], before[s]);
			}
		T_EQ(machine->frames_in_use, frames);
	} else {
		T_EQ(r, 0);
		mmtest_expect_mem(&t, c->mm, X, "anon");
		mmtest_expect_mem(&t, c->mm, X + PAGE_SIZE, "anon2");
		mmtest_expect_mem(&t, c->mm, fa, "cow");
	}
	MMTEST_CHECK(&t);
	T_EQ(mmtest_write(&t, p->mm, X, "ANON"), UA_OK);
	mmtest_expect_mem(&t, g->mm, X, "anon");
	mmtest_expect_mem(&t, p->mm, fa, "cow");
	T_EQ(mmtest_write(&t, p->mm, fa + PAGE_SIZE, "more"), UA_OK);
	mmtest_expect_mem(&t, g->mm, sa + PAGE_SIZE, "shared");
	T_EQ(mmtest_write(&t, p->mm, ua, "late"), UA_OK);
	MMTEST_CHECK(&t);
	if (c)
		mmtest_exit(&t, c);
	mmtest_exit(&t, p);
	mmtest_exit(&t, g);
	mmtest_fput(&t, f);
	end_clean(&t);
	return reached;
}

TEST(anon_vma_fork_enomem_leaves_nothing)
{
	static const enum vm_alloc_site sites[] = {
		VM_ALLOC_PGTABLE, VM_ALLOC_VMA, VM_ALLOC_ANON_VMA, VM_ALLOC_AVC, VM_ALLOC_PAGE,
	};
	/* pgd, pud, pmd, pte; 4 VMAs; 2 own anon_vmas; (2 + 1) + (1 + 1) AVCs; no frame */
	static const unsigned long expect[] = { 4, 4, 2, 5, 0 };

	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		unsigned long n = 0;

		while (fork_enomem_once(sites[i], n)) {
			n++;
			T_LT(n, 64);
		}
		if (t_verbose())
			t_log("fork fails cleanly at each of its %lu %s allocations", n,
			      vm_alloc_site_name(sites[i]));
		T_EQ(n, expect[i]);
	}
}

/*
 * A stack that grows after fork: the growth moves vm_start and vm_pgoff
 * down together, and the VMA's AVCs must be re-keyed in every anon_vma
 * of its chain (the parent's root included), or a walk of a page still
 * shared with the parent would look for the child's VMA under the old
 * interval.  The shared page stays found at the same address.
 *
 *   P: [stack S, page s0 written]    C (fork): [S' chain {C's, P's}]
 *   C touches below S': S' = [S - 2 pages, S end), pgoff - 2
 */
TEST(anon_vma_stack_growth_after_fork)
{
	const unsigned long s = X + 0x10000;
	struct vm_area_struct *vc;
	struct task_struct *p, *c;
	struct folio *shared;
	struct visits v;
	struct mmtest t;
	char buf[8];

	mmtest_begin(&t, 64);
	p = mmtest_proc(&t);
	T_EQ(mmtest_mmap(&t, p->mm, s, 2 * PAGE_SIZE, MMTEST_RW, MMTEST_ANON | MAP_GROWSDOWN | MAP_FIXED,
			 NULL, 0), (long)s);
	T_EQ(mmtest_write(&t, p->mm, s + PAGE_SIZE, "s0"), UA_OK);
	shared = mmtest_folio_at(p->mm, s + PAGE_SIZE);
	c = mmtest_fork(&t, p);
	vc = c->mm->mmap;
	T_EQ(mmtest_write(&t, c->mm, s - 2 * PAGE_SIZE, "grown"), UA_OK);
	T_EQ(vc->vm_start, s - 2 * PAGE_SIZE);
	T_EQ(vc->vm_pgoff, (s >> PAGE_SHIFT) - 2);
	T_ASSERT(mmtest_folio_at(c->mm, s + PAGE_SIZE) == shared);
	MMTEST_CHECK(&t);
	/* Walks go by ascending start pgoff: the grown child now comes first. */
	walk(&t, shared, &v);
	T_EQ(v.n, 2);
	T_ASSERT(v.vma[0] == vc && v.vma[1] == p->mm->mmap);
	T_EQ(v.addr[0], s + PAGE_SIZE);
	T_EQ(v.addr[1], s + PAGE_SIZE);
	T_EQ(mmtest_read(&t, c->mm, s + PAGE_SIZE, buf, 2), UA_OK);
	T_STREQ(buf, "s0");
	/* the parent grows too, independently */
	T_EQ(mmtest_read(&t, p->mm, s - PAGE_SIZE, buf, 1), UA_OK);
	T_EQ(p->mm->mmap->vm_start, s - PAGE_SIZE);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, p);
	MMTEST_CHECK(&t);
	mmtest_exit(&t, c);
	end_clean(&t);
}
