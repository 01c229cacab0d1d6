pub struct SchemaError;
pub enum SchemaErrorKind {}
pub fn validate() {}
