//! The wasm's allocator: blocks of power-of-two sizes, one free list per size, carved from
//! `memory.grow`. Allocation and release are a few instructions each, and the code is a
//! fraction of std's dlmalloc (7 KB of wasm). The price is memory: a block is up to twice the
//! size asked for, and a freed block is reused only for the same size class (wasm memory never
//! shrinks anyway). wasm32 without threads only; natively the tests drive it on a buffer.

use std::alloc::Layout;

/// Size classes 2^0 to 2^31 (the whole 32-bit address space).
const CLASSES: usize = 32;
/// The smallest block: room for the free list's link, and 8-byte alignment.
const MIN_BLOCK: usize = 8;
const PAGE: usize = 65536;

/// The class of a layout: log2 of its block size; `None` past the address space.
fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(MIN_BLOCK).checked_next_power_of_two()?;
    let class = size.trailing_zeros() as usize;
    (class < CLASSES).then_some(class)
}

pub(crate) struct Heap {
    /// Heads of the free lists (0: empty); each free block holds the address of the next.
    free: [usize; CLASSES],
    /// The unused memory at the end: `next..end`.
    next: usize,
    end: usize,
}

impl Heap {
    pub(crate) const fn new() -> Self {
        Heap { free: [0; CLASSES], next: 0, end: 0 }
    }

    /// A block for `layout`, or 0. `grow(pages)` adds pages of memory and answers the address
    /// where they start (`None` when it cannot).
    ///
    /// # Safety
    /// The free lists' blocks must be memory this heap handed out and got back.
    pub(crate) unsafe fn alloc(&mut self, layout: Layout, grow: &mut dyn FnMut(usize) -> Option<usize>) -> usize {
        let Some(class) = class_of(layout) else { return 0 };
        let head = self.free[class];
        if head != 0 {
            self.free[class] = unsafe { *(head as *const usize) };
            return head;
        }
        let size = 1usize << class;
        // Blocks aligned to their size (up to a page) satisfy any alignment up to it.
        let align = size.min(PAGE);
        loop {
            let Some(start) = self.next.checked_add(align - 1).map(|n| n & !(align - 1)) else { return 0 };
            match start.checked_add(size) {
                Some(end) if end <= self.end => {
                    self.next = end;
                    return start;
                }
                Some(_) => {}
                None => return 0,
            }
            let missing = start + size - self.end;
            let pages = missing.div_ceil(PAGE);
            let Some(base) = grow(pages) else { return 0 };
            if base != self.end {
                // Memory grown by someone else in between: start over at the new pages.
                self.next = base;
            }
            self.end = base + pages * PAGE;
        }
    }

    /// Takes back a block `alloc` gave for `layout`.
    ///
    /// # Safety
    /// `block` must come from `alloc` with the same layout (or one of the same class), unused.
    pub(crate) unsafe fn dealloc(&mut self, block: usize, layout: Layout) {
        if let Some(class) = class_of(layout) {
            unsafe { *(block as *mut usize) = self.free[class] };
            self.free[class] = block;
        }
    }

    /// Whether a block for `old` also serves `new` (same class): `realloc` then keeps it.
    pub(crate) fn same_block(old: Layout, new: Layout) -> bool {
        class_of(old) == class_of(new)
    }
}

#[cfg(target_arch = "wasm32")]
mod global {
    use super::Heap;
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::UnsafeCell;

    pub struct SizeClasses(UnsafeCell<Heap>);

    // wasm32-unknown-unknown without the atomics feature has one thread.
    unsafe impl Sync for SizeClasses {}

    impl SizeClasses {
        pub const fn new() -> Self {
            SizeClasses(UnsafeCell::new(Heap::new()))
        }
    }

    fn grow(pages: usize) -> Option<usize> {
        let old = core::arch::wasm32::memory_grow(0, pages);
        (old != usize::MAX).then(|| old * super::PAGE)
    }

    unsafe impl GlobalAlloc for SizeClasses {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            unsafe { (*self.0.get()).alloc(layout, &mut grow) as *mut u8 }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { (*self.0.get()).dealloc(ptr as usize, layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let Ok(new) = Layout::from_size_align(new_size, layout.align()) else { return std::ptr::null_mut() };
            if Heap::same_block(layout, new) {
                return ptr;
            }
            let moved = unsafe { self.alloc(new) };
            if !moved.is_null() {
                unsafe {
                    std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
            }
            moved
        }
    }
}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: global::SizeClasses = global::SizeClasses::new();

#[cfg(test)]
mod tests {
    use super::*;

    /// A heap on a native buffer of `pages` pages; the buffer's address range stands for memory.
    fn on_buffer(pages: usize) -> (Vec<u64>, usize, usize) {
        let buffer = vec![0u64; (pages + 1) * PAGE / 8];
        let base = (buffer.as_ptr() as usize).next_multiple_of(PAGE);
        (buffer, base, pages)
    }

    #[test]
    fn blocks_are_aligned_apart_and_reused_by_class() {
        let (_buffer, base, pages) = on_buffer(64);
        let mut grown = 0;
        let mut grow = |n: usize| {
            if grown + n > pages {
                return None;
            }
            grown += n;
            Some(base + (grown - n) * PAGE)
        };
        let mut heap = Heap::new();
        let mut live: Vec<(usize, Layout)> = Vec::new();
        let mut state = 7u64;
        for round in 0..20_000 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let free_one = (state >> 60) < 7 && !live.is_empty();
            if free_one {
                let (block, layout) = live.swap_remove((state >> 20) as usize % live.len());
                unsafe { heap.dealloc(block, layout) };
                continue;
            }
            let size = [1, 7, 8, 24, 100, 1000, 5000, 70_000][(state >> 33) as usize % 8] + round % 5;
            let align = [1, 4, 8, 16][(state >> 40) as usize % 4];
            let layout = Layout::from_size_align(size, align).unwrap();
            let block = unsafe { heap.alloc(layout, &mut grow) };
            if block == 0 {
                break; // the buffer is full
            }
            assert_eq!(block % align, 0);
            assert!(block >= base && block + size <= base + pages * PAGE);
            for &(other, other_layout) in &live {
                assert!(block + size <= other || other + other_layout.size() <= block, "blocks overlap");
            }
            live.push((block, layout));
        }
        assert!(!live.is_empty());
        // A freed block comes back for the next request of its class.
        let layout = Layout::from_size_align(24, 8).unwrap();
        let block = unsafe { heap.alloc(layout, &mut grow) };
        unsafe { heap.dealloc(block, layout) };
        assert_eq!(unsafe { heap.alloc(Layout::from_size_align(32, 8).unwrap(), &mut grow) }, block);
    }

    #[test]
    fn a_failed_grow_is_a_null_block_and_sizes_past_the_space_are_refused() {
        let mut heap = Heap::new();
        assert_eq!(unsafe { heap.alloc(Layout::from_size_align(10, 1).unwrap(), &mut |_| None) }, 0);
        assert_eq!(class_of(Layout::from_size_align(usize::MAX / 2, 1).unwrap()), None);
        assert!(Heap::same_block(Layout::from_size_align(17, 8).unwrap(), Layout::from_size_align(32, 8).unwrap()));
        assert!(!Heap::same_block(Layout::from_size_align(32, 8).unwrap(), Layout::from_size_align(33, 8).unwrap()));
    }
}
