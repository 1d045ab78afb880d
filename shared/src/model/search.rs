//! A page of records found by a filter the table cannot apply (a part of a name, any case):
//! one request reads on from its cursor, keeping what matches, until the page is full, the
//! records end, or its budget of records read is spent; the cursor then says where the next
//! request goes on.

use serde::de::DeserializeOwned;

use super::from_item;
use crate::Error;
use crate::store::{Query, Table};

/// Records one search request reads at most: it answers with fewer than a page and a
/// cursor when its matches are rare.
pub const SEARCH_BUDGET: usize = 1000;

/// Records read per round trip while searching.
const SEARCH_CHUNK: u32 = 100;

/// Up to `limit` records of `query` from `cursor` on that `keep` accepts, and the cursor
/// after the last one read when more may follow. Without a filter, one page as it is.
pub async fn matching_page<T: DeserializeOwned>(
    table: &dyn Table,
    query: Query,
    keep: Option<&(dyn Fn(&T) -> bool + Sync)>,
    limit: u32,
    cursor: Option<String>,
) -> Result<(Vec<T>, Option<String>), Error> {
    let Some(keep) = keep else {
        let page = table.query(query.limit(limit).cursor(cursor)).await?;
        let found = page
            .items
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        return Ok((found, page.cursor));
    };
    let mut found = Vec::new();
    let mut read = 0usize;
    let mut cursor = cursor;
    loop {
        let q = query.clone().limit(SEARCH_CHUNK).cursor(cursor.take());
        let page = table.query(q.clone()).await?;
        let count = page.items.len();
        read += count;
        for (i, item) in page.items.iter().enumerate() {
            let record: T = from_item(item.clone())?;
            if keep(&record) {
                found.push(record);
            }
            if found.len() == limit as usize {
                let more = i + 1 < count || page.cursor.is_some();
                let next = if more {
                    Some(q.cursor_after(item)?)
                } else {
                    None
                };
                return Ok((found, next));
            }
        }
        match page.cursor {
            Some(next) if read >= SEARCH_BUDGET => return Ok((found, Some(next))),
            Some(next) => cursor = Some(next),
            None => return Ok((found, None)),
        }
    }
}
