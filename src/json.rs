//! One reader of JSON paths, for API objects (`message_stats.publish_details.rate`, `list`
//! and `show`) and message bodies (`$.order.items[0].sku`, the `--match-jsonpath` filter).

use serde_json::Value;

/// `$.a.b[0].c` (or `a.b[0].c`, or a dotted API field): the value at that path of a JSON document; members by name,
/// array items by index. The subset of JSONPath that names one value.
pub fn at<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let rest = path.strip_prefix('$').unwrap_or(path);
    let mut v = doc;
    for part in rest.split('.').filter(|p| !p.is_empty()) {
        let (name, indexes) = match part.find('[') {
            Some(i) => part.split_at(i),
            None => (part, ""),
        };
        if !name.is_empty() {
            v = v.get(name)?;
        }
        for index in indexes.split('[').filter(|i| !i.is_empty()) {
            let n: usize = index.strip_suffix(']')?.parse().ok()?;
            v = v.get(n)?;
        }
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_indexes_and_absence() {
        let doc = json!({"a": {"b": [{"c": 1}]}, "x-y": {"z": "w"}});
        assert_eq!(at(&doc, "$.a.b[0].c"), Some(&json!(1)));
        assert_eq!(at(&doc, "a.b[0].c"), Some(&json!(1)));
        assert_eq!(at(&doc, "x-y.z"), Some(&json!("w")));
        assert_eq!(at(&doc, "a.missing"), None);
        assert_eq!(at(&doc, "a.b[3]"), None);
    }
}
