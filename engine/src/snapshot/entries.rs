//! The entries of a snapshot, stored column by column.
//!
//! Ten million entries as `Vec<Entry>` would cost two heap allocations and
//! ~80 bytes of headers each. Here an entry is an index into a few flat
//! columns: its list, its kind, and the end offsets of its value and
//! reference in two shared byte arenas (11 bytes of bookkeeping plus the
//! bytes themselves).

use hashwall_lists::EntryKind;

use crate::{Error, ErrorKind};

#[derive(Debug, Default, Clone)]
pub(crate) struct EntryStore {
    list: Vec<u16>,
    kind: Vec<EntryKind>,
    value_end: Vec<u32>,
    values: Vec<u8>,
    ref_end: Vec<u32>,
    refs: Vec<u8>,
}

impl EntryStore {
    /// Appends an entry whose value is the concatenation of `value_parts`
    /// (so a host and a path can be stored without joining them first).
    pub(crate) fn push(
        &mut self,
        list: u16,
        kind: EntryKind,
        value_parts: &[&[u8]],
        reference: Option<&str>,
    ) -> Result<u32, Error> {
        let id = self.list.len();
        if id >= super::super::index::MAX_ENTRIES {
            return Err(Error::new(
                ErrorKind::List,
                "a snapshot holds at most 4 294 967 294 entries",
            ));
        }
        for p in value_parts {
            self.values.extend_from_slice(p);
        }
        if let Some(r) = reference {
            self.refs.extend_from_slice(r.as_bytes());
        }
        let (Ok(v_end), Ok(r_end)) = (
            u32::try_from(self.values.len()),
            u32::try_from(self.refs.len()),
        ) else {
            return Err(Error::new(
                ErrorKind::List,
                "entry values or references of one snapshot exceed 4 GiB",
            ));
        };
        self.list.push(list);
        self.kind.push(kind);
        self.value_end.push(v_end);
        self.ref_end.push(r_end);
        Ok(id as u32)
    }

    #[inline]
    pub(crate) fn list(&self, id: u32) -> u16 {
        self.list[id as usize]
    }

    #[inline]
    pub(crate) fn kind(&self, id: u32) -> EntryKind {
        self.kind[id as usize]
    }

    #[inline]
    pub(crate) fn value(&self, id: u32) -> &[u8] {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.value_end[i - 1] } as usize;
        &self.values[start..self.value_end[i] as usize]
    }

    pub(crate) fn reference(&self, id: u32) -> Option<&str> {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ref_end[i - 1] } as usize;
        let bytes = &self.refs[start..self.ref_end[i] as usize];
        // References were pushed from `&str`, so this never fails; an empty
        // reference is stored for "none".
        std::str::from_utf8(bytes).ok().filter(|s| !s.is_empty())
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.list.shrink_to_fit();
        self.kind.shrink_to_fit();
        self.value_end.shrink_to_fit();
        self.values.shrink_to_fit();
        self.ref_end.shrink_to_fit();
        self.refs.shrink_to_fit();
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.list.capacity() * 2
            + self.kind.capacity() * std::mem::size_of::<EntryKind>()
            + self.value_end.capacity() * 4
            + self.values.capacity()
            + self.ref_end.capacity() * 4
            + self.refs.capacity()
    }
}
