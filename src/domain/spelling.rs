//! Values stored by their spelling in records (timeline bodies): written as `as_str()`, read
//! back only through `parse`, so a spelling this version does not know is an error (and the
//! entry it is in an unknown one), never a wrong value.

/// Implements `Serialize` as the value's `as_str()` and `Deserialize` through its `parse`
/// (which returns an `Option`).
macro_rules! stored_by_spelling {
    ($($ty:ident),* $(,)?) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                $ty::parse(&text).ok_or_else(|| {
                    <D::Error as serde::de::Error>::custom(format!("{text:?} is not a {}", stringify!($ty)))
                })
            }
        }
    )*};
}
pub(crate) use stored_by_spelling;
