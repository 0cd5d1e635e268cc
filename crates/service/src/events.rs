//! Feed events, feed runs and the quarantine, as lists: who may see which. Everyone who may
//! read everything sees every event; a constituent sees only its own organisation's events
//! (those whose source the constituency expert matched to it), and no runs or quarantine.

use crate::incidents::Page;
use crate::{Principal, Result, ServiceError, Services};
use cirtkit_domain::{Permission, Role};
use cirtkit_storage::{EventQuery, FeedRunRecord, QuarantineRecord, StoredEvent};

fn parse_cursor(cursor: Option<&str>) -> Result<Option<i64>> {
    cursor
        .map(|c| {
            c.strip_prefix('e')
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| ServiceError::Invalid("cursor: use the `next` value of the previous page".into()))
        })
        .transpose()
}

fn page_of<T>(mut items: Vec<T>, limit: u32, id: impl Fn(&T) -> i64) -> Page<T> {
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next = if more { items.last().map(|last| format!("e{}", id(last))) } else { None };
    Page { items, next }
}

impl Services {
    /// Stored events matching the query, newest first, a page at a time.
    pub async fn list_events(
        &self,
        who: &Principal,
        mut query: EventQuery,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<StoredEvent>> {
        match who.role() {
            Role::Constituent(org) => query.organisation = Some(org),
            _ => who.require(Permission::ReadEverything)?,
        }
        query.before_id = parse_cursor(cursor)?;
        query.limit = limit + 1;
        let items = self.store().events_page(&query).await?;
        Ok(page_of(items, limit, |e| e.id))
    }

    /// The latest feed runs, of one feed or all, newest first.
    pub async fn feed_runs(&self, who: &Principal, feed: Option<&str>, limit: u32) -> Result<Vec<FeedRunRecord>> {
        who.require(Permission::ReadEverything)?;
        Ok(self.store().feed_runs(feed, limit).await?)
    }

    /// Quarantined records, of one feed or all, newest first, a page at a time.
    pub async fn quarantine(
        &self,
        who: &Principal,
        feed: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<QuarantineRecord>> {
        who.require(Permission::ReadEverything)?;
        let before = parse_cursor(cursor)?;
        let items = self.store().quarantine_page(feed, before, limit + 1).await?;
        Ok(page_of(items, limit, |q| q.id))
    }
}
