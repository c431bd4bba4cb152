/*
 * mm/threads.c - the model under real threads (`rmaplab stress`)
 *
 * In the explorer only one simulated thread runs at a time, so state the
 * kernel protects with locks the model does not model (zone->lock, the
 * slab's locks, mmlist_lock, inode_sb_list_lock), or keeps per CPU or per
 * task, needs nothing.  With real threads (vm_real_threads, set by
 * explore/stress.c) it does:
 *  - host locks: plain pthread mutexes standing for the kernel's
 *    unmodelled locks.  They are not lock classes of explore/lock.h (no
 *    schedule points, no order checking: each is a leaf, held for a few
 *    instructions, as the kernel's spinlocks there are), and they are
 *    taken only with real threads, so the explorer is unchanged;
 *  - the "an allocation failed" flag is per thread (the kernel's is the
 *    task's own return path);
 *  - page data: the copy within one page is atomic with respect to other
 *    threads (mm/uaccess.c's promise, which the explorer keeps by having
 *    no schedule point inside a copy): every copy into or out of a frame
 *    holds that frame's data lock, one of a striped array.
 * Refcounts, mapcounts, rss counters and id counters are atomic in every
 * mode (they are atomic_t / percpu counters in the kernel).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "mm/internal.h"

bool vm_real_threads;

static pthread_mutex_t host_locks[VM_NR_HOST_LOCKS] = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER,
};

_Static_assert(VM_NR_HOST_LOCKS == 4, "initialise every host lock");

#define DATA_LOCKS 64
static pthread_mutex_t data_locks[DATA_LOCKS];
static pthread_once_t data_locks_once = PTHREAD_ONCE_INIT;

static _Thread_local bool alloc_failed_here;

/*
 * The CPUs' page-table walks against the freeing of page tables: a CPU
 * holds it for reading across one access (walk and copy); free_pgd_range
 * holds it for writing, as the kernel's TLB shootdown waits for every CPU
 * before the tables go.
 */
static pthread_rwlock_t tlb_lock = PTHREAD_RWLOCK_INITIALIZER;

static void data_locks_init(void)
{
	for (int i = 0; i < DATA_LOCKS; i++)
		pthread_mutex_init(&data_locks[i], NULL);
}

void vm_set_real_threads(bool on)
{
	pthread_once(&data_locks_once, data_locks_init);
	vm_real_threads = on;
}

void vm_host_lock_slow(enum vm_host_lock l)
{
	pthread_mutex_lock(&host_locks[l]);
}

void vm_host_unlock_slow(enum vm_host_lock l)
{
	pthread_mutex_unlock(&host_locks[l]);
}

void vm_cpu_access_begin_slow(void)
{
	pthread_rwlock_rdlock(&tlb_lock);
}

void vm_cpu_access_end_slow(void)
{
	pthread_rwlock_unlock(&tlb_lock);
}

void vm_tlb_shootdown_begin_slow(void)
{
	pthread_rwlock_wrlock(&tlb_lock);
}

void vm_tlb_shootdown_end_slow(void)
{
	pthread_rwlock_unlock(&tlb_lock);
}

/*
 * The flag is task state: the simulated thread's (ex_current, so the
 * explorer's coroutines, which share one pthread, each have their own),
 * else the pthread's with real threads, else the machine's.
 */
void vm_note_alloc_failed(void)
{
	if (ex_current)
		ex_current->alloc_failed = true;
	alloc_failed_here = true;
	machine->alloc_failed = true;
}

bool vm_alloc_failed(void)
{
	if (ex_current)
		return ex_current->alloc_failed;
	return vm_real_threads ? alloc_failed_here : machine->alloc_failed;
}

void vm_alloc_failed_clear(void)
{
	if (ex_current)
		ex_current->alloc_failed = false;
	alloc_failed_here = false;
	if (!vm_real_threads)
		machine->alloc_failed = false;
}

static pthread_mutex_t *data_lock(const unsigned char *data)
{
	unsigned long pfn = (unsigned long)(data - machine->frame_data) >> PAGE_SHIFT;

	return &data_locks[pfn % DATA_LOCKS];
}

/*
 * Copy within one frame (or between two): @n bytes from @src to @dst,
 * either of which may be frame data.  Two frames' locks are taken in
 * address order.
 */
void vm_data_copy(unsigned char *dst, const unsigned char *src, size_t n)
{
	pthread_mutex_t *a = NULL, *b = NULL;

	if (!vm_real_threads) {
		memcpy(dst, src, n);
		return;
	}
	if (dst >= machine->frame_data && dst < machine->frame_data + machine->frame_data_size)
		a = data_lock(dst);
	if (src >= machine->frame_data && src < machine->frame_data + machine->frame_data_size)
		b = data_lock(src);
	if (a == b)
		b = NULL;
	if (a && b && b < a) {
		pthread_mutex_t *t = a;

		a = b;
		b = t;
	}
	if (a)
		pthread_mutex_lock(a);
	if (b)
		pthread_mutex_lock(b);
	memcpy(dst, src, n);
	if (b)
		pthread_mutex_unlock(b);
	if (a)
		pthread_mutex_unlock(a);
}

void vm_data_fill(unsigned char *dst, int c, size_t n)
{
	pthread_mutex_t *a;

	if (!vm_real_threads) {
		memset(dst, c, n);
		return;
	}
	a = dst >= machine->frame_data && dst < machine->frame_data + machine->frame_data_size ?
	    data_lock(dst) : NULL;
	if (a)
		pthread_mutex_lock(a);
	memset(dst, c, n);
	if (a)
		pthread_mutex_unlock(a);
}
