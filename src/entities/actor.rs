use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "actors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl Related<super::movie::Entity> for Entity {
    fn to() -> RelationDef {
        super::actor_movie::Relation::Movie.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::actor_movie::Relation::Actor.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
