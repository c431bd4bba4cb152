/*
 * tests/unit/test_lock.c - the lock layer: the documented order is the
 * one drawn at the top of mm/rmap.c, inversions and self-deadlocks are
 * reported, annotated nesting and trylocks are not.
 */
#include <stdio.h>
#include <string.h>

#include "tests/unit/mmtest.h"

/*
 * The picture in mm/rmap.c, between "Lock ordering in mm:" and the blank
 * line after the tree, lists one class per line, outermost first, each
 * indented deeper than the one before; its first word is the class name.
 */
TEST(lock_order_picture_matches_table)
{
	FILE *f = fopen("mm/rmap.c", "r");
	char line[256];
	int n = 0, prev_indent = -1;
	bool in = false;

	T_ASSERT(f);
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		int indent;

		if (strstr(line, "Lock ordering in mm:")) {
			in = true;
			continue;
		}
		if (!in)
			continue;
		if (!strncmp(line, " *\n", 3) || !strcmp(line, " *\n")) {
			if (n)
				break;
			continue;
		}
		indent = (int)strspn(line + 2, " \t");
		T_ASSERT(sscanf(line + 2, "%63s", name) == 1);
		T_ASSERT(ex_lock_order[n]);
		T_STREQ(name, ex_lock_order[n]->name);
		T_GT(indent, prev_indent);
		T_EQ(ex_lock_order[n]->rank, n + 1);
		prev_indent = indent;
		n++;
	}
	fclose(f);
	T_ASSERT(in);
	T_ASSERT(n > 0);
	T_ASSERT(ex_lock_order[n] == NULL);
}

TEST(lock_inversion_is_reported)
{
	struct mmtest t;
	struct ex_lock a, b;
	enum ex_kind kind;

	mmtest_begin(&t, 64);
	ex_lock_init(&a, &ex_class_i_mmap_rwsem);
	ex_lock_init(&b, &ex_class_anon_vma);
	/* anon_vma then i_mmap_rwsem: the wrong way round */
	MM_VIOLATION(&t, (ex_lock_acquire(&b, EX_EXCL, 0, "t"), ex_lock_acquire(&a, EX_EXCL, 0, "t")),
		     &kind);
	T_EQ(kind, EX_LOCK_ORDER);
	T_ASSERT(strstr(t.sink.first.message, "i_mmap_rwsem"));
	mmtest_end(&t);
}

TEST(lock_right_order_nesting_and_trylock_pass)
{
	struct mmtest t;
	struct ex_lock a, b, p1, p2;
	enum ex_kind kind;

	mmtest_begin(&t, 64);
	ex_lock_init(&a, &ex_class_i_mmap_rwsem);
	ex_lock_init(&b, &ex_class_anon_vma);
	ex_lock_init(&p1, &ex_class_ptl);
	ex_lock_init(&p2, &ex_class_ptl);
	MM_VIOLATION(&t, ({
		ex_lock_acquire(&a, EX_EXCL, 0, "t");
		ex_lock_acquire(&b, EX_SHARED, 0, "t");
		ex_lock_acquire(&p1, EX_EXCL, 0, "t");
		ex_lock_acquire(&p2, EX_EXCL, 1, "t");	/* annotated nesting */
		ex_lock_release(&p2, EX_EXCL, "t");
		ex_lock_release(&p1, EX_EXCL, "t");
		T_ASSERT(ex_lock_tryacquire(&a, EX_SHARED, "t") == false);
		ex_lock_release(&b, EX_SHARED, "t");
		ex_lock_release(&a, EX_EXCL, "t");
		/* trylock against the order is no dependency */
		ex_lock_acquire(&p1, EX_EXCL, 0, "t");
		T_ASSERT(ex_lock_tryacquire(&a, EX_EXCL, "t"));
		ex_lock_release(&a, EX_EXCL, "t");
		ex_lock_release(&p1, EX_EXCL, "t");
	}), &kind);
	T_EQ(kind, EX_KIND_NONE);
	T_EQ(t.thread.nr_held, 0);
	mmtest_end(&t);
}

TEST(lock_same_class_without_annotation_is_reported)
{
	struct mmtest t;
	struct ex_lock p1, p2;
	enum ex_kind kind;

	mmtest_begin(&t, 64);
	ex_lock_init(&p1, &ex_class_ptl);
	ex_lock_init(&p2, &ex_class_ptl);
	MM_VIOLATION(&t, (ex_lock_acquire(&p1, EX_EXCL, 0, "t"), ex_lock_acquire(&p2, EX_EXCL, 0, "t")),
		     &kind);
	T_EQ(kind, EX_LOCK_ORDER);
	mmtest_end(&t);
}

TEST(lock_self_deadlock_is_reported)
{
	struct mmtest t;
	struct ex_lock a;
	unsigned long word = 0;
	enum ex_kind kind;

	mmtest_begin(&t, 64);
	ex_lock_init(&a, &ex_class_mmap_lock);
	MM_VIOLATION(&t, (ex_lock_acquire(&a, EX_SHARED, 0, "t"), ex_lock_acquire(&a, EX_EXCL, 0, "t")),
		     &kind);
	T_EQ(kind, EX_DEADLOCK);
	MM_VIOLATION(&t, (ex_bit_lock(&word, 0, &ex_class_folio_lock, 0, "t"),
			  ex_bit_wait(&word, 0, &ex_class_folio_lock, "t")), &kind);
	T_EQ(kind, EX_DEADLOCK);
	mmtest_end(&t);
}

/*
 * The recursion check answers from the lock's state where it can (held
 * for write: by whom; a clear bit: by nobody) and searches the held list
 * otherwise: a second read acquire, which the lock would grant, is caught
 * only by the search.
 */
TEST(lock_self_deadlock_is_reported_for_every_mode)
{
	static const enum ex_lock_mode modes[][2] = {
		{ EX_SHARED, EX_SHARED }, { EX_EXCL, EX_EXCL }, { EX_EXCL, EX_SHARED },
	};
	struct mmtest t;
	struct ex_lock a;
	unsigned long word = 0;
	enum ex_kind kind;

	for (volatile size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		mmtest_begin(&t, 64);
		ex_lock_init(&a, &ex_class_mmap_lock);
		MM_VIOLATION(&t, (ex_lock_acquire(&a, modes[i][0], 0, "t"),
				  ex_lock_acquire(&a, modes[i][1], 0, "t")), &kind);
		T_EQ(kind, EX_DEADLOCK);
		mmtest_end(&t);
	}

	mmtest_begin(&t, 64);
	MM_VIOLATION(&t, (ex_bit_lock(&word, 0, &ex_class_folio_lock, 0, "t"),
			  ex_bit_lock(&word, 0, &ex_class_folio_lock, 0, "t")), &kind);
	T_EQ(kind, EX_DEADLOCK);
	mmtest_end(&t);
}

/* A trylock of a lock I hold fails, whatever the mode; of a free one succeeds. */
TEST(lock_trylock_of_own_lock_fails)
{
	struct mmtest t;
	struct ex_lock a;

	mmtest_begin(&t, 64);
	ex_lock_init(&a, &ex_class_mmap_lock);
	T_CHECK(ex_lock_tryacquire(&a, EX_SHARED, "t"));
	T_CHECK(!ex_lock_tryacquire(&a, EX_SHARED, "t"));
	T_CHECK(!ex_lock_tryacquire(&a, EX_EXCL, "t"));
	ex_lock_release(&a, EX_SHARED, "t");
	T_CHECK(ex_lock_tryacquire(&a, EX_EXCL, "t"));
	T_CHECK(!ex_lock_tryacquire(&a, EX_SHARED, "t"));
	ex_lock_release(&a, EX_EXCL, "t");
	T_EQ(a.readers, 0);
	T_CHECK(a.owner == NULL);
	mmtest_end(&t);
}

/*
 * vm_atomic_*: the plain path (one host thread) and the locked path (the
 * pthread backend) give the same results: the old value, the new value,
 * and for a failed cmpxchg the value found.
 */
static void atomics_agree(void)
{
	int i = 5, old = 4;
	long l = -3;
	unsigned long w = 0xf0;

	T_EQ(vm_atomic_fetch_add(&i, 2, __ATOMIC_RELAXED), 5);
	T_EQ(vm_atomic_fetch_sub(&i, 3, __ATOMIC_ACQ_REL), 7);
	T_EQ(i, 4);
	T_EQ(vm_atomic_fetch_or(&w, 0x0f, __ATOMIC_RELAXED), 0xf0);
	T_EQ(vm_atomic_fetch_and(&w, ~0x30UL, __ATOMIC_RELAXED), 0xff);
	T_EQ(w, 0xcf);
	T_EQ(vm_atomic_fetch_add_long(&l, 10, __ATOMIC_RELAXED), -3);
	T_EQ(l, 7);
	T_EQ(vm_atomic_xchg(&w, 1, __ATOMIC_RELAXED), 0xcf);
	T_EQ(w, 1);
	T_CHECK(vm_atomic_cmpxchg(&i, &old, 9, __ATOMIC_ACQUIRE));
	T_EQ(i, 9);
	old = 4;
	T_CHECK(!vm_atomic_cmpxchg(&i, &old, 1, __ATOMIC_ACQUIRE));
	T_EQ(old, 9);
	T_EQ(i, 9);
}

TEST(lock_vm_atomics_plain_and_locked_agree)
{
	atomics_agree();
	ex_lock_use_pthreads(true);
	atomics_agree();
	ex_lock_use_pthreads(false);
}

TEST(lock_release_of_unheld_is_a_bug)
{
	struct mmtest t;
	struct ex_lock a;
	enum ex_kind kind;

	mmtest_begin(&t, 64);
	ex_lock_init(&a, &ex_class_lru_lock);
	MM_VIOLATION(&t, ex_lock_release(&a, EX_EXCL, "t"), &kind);
	T_EQ(kind, EX_BUG);
	mmtest_end(&t);
}
