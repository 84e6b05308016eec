"""Period-end evaluation: scorecards (scoring), improvement plans, feedback and its forms."""
