"""MuJoCo locomotion tasks for Eureka (the paper's Ant and Humanoid, and HalfCheetah and Hopper), a plugin."""
