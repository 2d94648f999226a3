//! Picking the next task of a user by weight.

use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;

use crate::error::EngineError;
use crate::user::Scenario;

/// A scenario's tasks with their weights, shared by all its users.
pub struct TaskPlan {
    names: Vec<&'static str>,
    weights: WeightedIndex<u32>,
}

impl TaskPlan {
    /// Fails when the scenario has no task, or only tasks of weight 0.
    pub fn of(scenario: &dyn Scenario) -> Result<Self, EngineError> {
        let tasks = scenario.tasks();
        let no_tasks = || EngineError::NoTasks {
            scenario: scenario.name().to_owned(),
        };
        let weights = WeightedIndex::new(tasks.iter().map(|(_, w)| *w)).map_err(|_| no_tasks())?;
        Ok(TaskPlan {
            names: tasks.iter().map(|(name, _)| *name).collect(),
            weights,
        })
    }

    /// One task, chosen with probability weight ÷ total weight.
    pub fn pick(&self, rng: &mut impl Rng) -> &'static str {
        self.names[self.weights.sample(rng)]
    }
}
