//! An [`IncidentId`] binds and reads as the integer column it is stored in, so queries take
//! and return the typed id (the domain stays free of sqlx; these impls live here).

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, Database, Decode, Encode, Type};

use crate::domain::incident::IncidentId;

impl Type<Any> for IncidentId {
    fn type_info() -> <Any as Database>::TypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(ty: &<Any as Database>::TypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Any> for IncidentId {
    fn encode_by_ref(&self, buf: &mut <Any as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, Any>>::encode_by_ref(&self.get(), buf)
    }
}

impl<'r> Decode<'r, Any> for IncidentId {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(IncidentId::from_stored(<i64 as Decode<'r, Any>>::decode(value)?))
    }
}
