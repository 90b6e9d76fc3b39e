//! `connectors`: OpenAPI documents imported as connectors, one row per version (a re-import
//! of a name adds the next version; the newest is the one in use). The document is kept as it
//! was sent; `base_url` is the import's override of the document's servers, if any.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000110_connectors"
    }
}

#[derive(DeriveIden)]
enum Connectors {
    Table,
    Id,
    Name,
    Version,
    Title,
    Format,
    Operations,
    BaseUrl,
    Document,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Connectors::Table)
                .col(uuid(Connectors::Id).primary_key())
                .col(string(Connectors::Name))
                .col(big_integer(Connectors::Version))
                .col(string(Connectors::Title))
                .col(string(Connectors::Format))
                .col(integer(Connectors::Operations))
                .col(string_null(Connectors::BaseUrl))
                .col(text(Connectors::Document))
                .col(timestamp_with_time_zone(Connectors::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("connectors_name_version")
                .table(Connectors::Table)
                .col(Connectors::Name)
                .col(Connectors::Version)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Connectors::Table).to_owned())
            .await
    }
}
