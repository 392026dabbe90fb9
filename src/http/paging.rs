//! Page numbers and links of every paged collection (EXTENSIONS.md: the catalog's style — the path
//! after `/api/v1`, `page` and `per_page`, then the active parameters).

/// A page's numbers and its neighbours' links: `{path}?page=…&per_page=…` then `extra` (the active
/// parameters, already encoded).
pub struct Paged {
    pub prev_page: Option<String>,
    pub next_page: Option<String>,
    pub total_pages: i64,
}

pub fn paged(path: &str, page: i64, per_page: i64, total_items: i64, extra: &str) -> Paged {
    let total_pages = (total_items + per_page - 1) / per_page;
    let link = |n: i64| {
        let mut link = format!("{path}?page={n}&per_page={per_page}");
        if !extra.is_empty() {
            link.push('&');
            link.push_str(extra);
        }
        link
    };
    Paged {
        prev_page: (page > 1).then(|| link(page - 1)),
        next_page: (page < total_pages).then(|| link(page + 1)),
        total_pages,
    }
}

/// The offset of a page, `None` past what `total` holds.
pub fn offset_within(page: i64, per_page: i64, total: i64) -> Option<i64> {
    let offset = (page - 1).saturating_mul(per_page);
    (offset < total).then_some(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_active_parameters() {
        let extra = "search=a%26b&sort=email";
        let p = paged("/admin/users/", 2, 5, 11, extra);
        assert_eq!(p.total_pages, 3);
        assert_eq!(
            p.prev_page.as_deref(),
            Some("/admin/users/?page=1&per_page=5&search=a%26b&sort=email")
        );
        assert_eq!(
            p.next_page.as_deref(),
            Some("/admin/users/?page=3&per_page=5&search=a%26b&sort=email")
        );
        let last = paged("/admin/audit/", 1, 10, 0, "");
        assert_eq!(
            (last.prev_page, last.next_page, last.total_pages),
            (None, None, 0)
        );
        assert_eq!(offset_within(3, 10, 20), None);
        assert_eq!(offset_within(2, 10, 20), Some(10));
    }
}
