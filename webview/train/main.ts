import "./train.css";
import {TrainApp} from "./TrainApp";

const root = document.getElementById("belle-train");
if (root == null) throw new Error("the training view HTML lacks #belle-train");
new TrainApp(root, acquireVsCodeApi()).start();
